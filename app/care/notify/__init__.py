"""Delivery of the outbox's messages (app.care.outbox): their text (``messages``) and the channels
that carry them (``senders``: e-mail over SMTP, KakaoTalk 알림톡 through NHN Cloud's gateway, the
in-page list)."""
