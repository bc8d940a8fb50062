#!/bin/sh
# Mutation testing of the core (mutmut), one target at a time, at low CPU priority.
# Usage: bench/mutation.sh [planning|hours|index|mapping ...] [--resume] [--jobs N] [--fail-under P]
# See bench/mutation.py for what it does; the equivalent mutants are in bench/mutation_equivalents.toml.
cd "$(dirname "$0")/.." || exit 1
exec nice -n 10 .venv/bin/python bench/mutation.py "$@"
