#!/usr/bin/env bash
# What `make run` runs: `bot serve` when a Slack bot token is configured
# (SLACK_BOT_TOKEN in the environment or in .env, read the way the bot
# reads it), the local playground `bot play` otherwise. One line says which
# and why. Arguments are passed on to the bot.
#
# bot serve itself never falls back to the playground: with a token but
# without the rest of the Slack settings it stops and says what to set.
set -euo pipefail
cd "$(dirname "$0")/.."

BOT=${BOT:-./bot}

# dotenv_value KEY: the value of the last KEY=… line of .env, with an
# `export ` prefix, quotes and a trailing ` # comment` taken off.
dotenv_value() {
	[ -f .env ] || return 0
	local line val
	line=$(grep -E "^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=" .env | tail -n 1) || return 0
	val=${line#*=}
	val="${val#"${val%%[![:space:]]*}"}"
	val="${val%"${val##*[![:space:]]}"}"
	case $val in
	\"*\" | \'*\') val=${val:1:${#val}-2} ;;
	*" #"*) val=${val%% #*} ;;
	esac
	printf '%s' "$val"
}

if [ -n "${SLACK_BOT_TOKEN:-}" ]; then
	echo "make run: SLACK_BOT_TOKEN is set in the environment, so running bot serve against Slack"
	exec "$BOT" serve "$@"
fi
if [ -n "$(dotenv_value SLACK_BOT_TOKEN)" ]; then
	echo "make run: SLACK_BOT_TOKEN is set in .env, so running bot serve against Slack"
	exec "$BOT" serve "$@"
fi
echo "make run: no SLACK_BOT_TOKEN (environment or .env), so running bot play, the local playground; README.md says how to connect Slack"
exec "$BOT" play "$@"
