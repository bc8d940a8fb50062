// The notices block (notices.js) on a page with no poll of its own (/account, the admin's
// unmatched requests): _notices.html loads this when included with notices_standalone. The block
// is read again every NOTICES_POLL_MS while the page is visible (api.js poll(): it stops once the
// session has ended, which the page then says).
import { poll } from "./api.js";
import { setupNotices } from "./notices.js";

const NOTICES_POLL_MS = 5000;

poll(setupNotices(), NOTICES_POLL_MS);
