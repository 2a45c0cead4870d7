package playground

// emojis are the :shortcodes: the page shows as emoji: every one the bot
// writes, and the common ones people type. Others stay as text, as they
// would in a workspace without that custom emoji.
var emojis = map[string]string{
	"rotating_light": "🚨", "warning": "⚠️", "no_entry": "⛔", "no_entry_sign": "🚫", "tada": "🎉",
	"white_check_mark": "✅", "heavy_check_mark": "✔️", "x": "❌", "alarm_clock": "⏰", "stopwatch": "⏱️",
	"hourglass": "⌛", "hourglass_flowing_sand": "⏳", "fire": "🔥", "eyes": "👀", "bell": "🔔",
	"mag": "🔍", "memo": "📝", "page_facing_up": "📄", "clipboard": "📋", "pushpin": "📌", "link": "🔗",
	"red_circle": "🔴", "large_orange_circle": "🟠", "large_yellow_circle": "🟡", "large_green_circle": "🟢",
	"large_blue_circle": "🔵", "white_circle": "⚪", "black_circle": "⚫", "information_source": "ℹ️",
	"bulb": "💡", "wrench": "🔧", "hammer_and_wrench": "🛠️", "rocket": "🚀", "construction": "🚧",
	"+1": "👍", "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "point_right": "👉", "lock": "🔒",
	"key": "🔑", "sos": "🆘", "question": "❓", "exclamation": "❗", "heavy_exclamation_mark": "❗",
	"boom": "💥", "zap": "⚡", "calendar": "📅", "speech_balloon": "💬", "thread": "🧵", "mega": "📣",
	"loudspeaker": "📢", "shield": "🛡️", "satellite_antenna": "📡", "ambulance": "🚑",
	"arrows_counterclockwise": "🔄", "repeat": "🔁", "arrow_right": "➡️", "arrow_up": "⬆️",
	"arrow_down": "⬇️", "chart_with_upwards_trend": "📈", "chart_with_downwards_trend": "📉",
	"smile": "😄", "slightly_smiling_face": "🙂", "sweat_smile": "😅", "pray": "🙏", "raised_hands": "🙌",
	"clap": "👏", "wave": "👋", "muscle": "💪", "100": "💯", "heart": "❤️", "sparkles": "✨",
	"bust_in_silhouette": "👤", "busts_in_silhouette": "👥", "robot_face": "🤖", "ok_hand": "👌",
	"thinking_face": "🤔", "scream": "😱", "sob": "😭", "skull": "💀", "coffee": "☕", "new": "🆕",
	"globe_with_meridians": "🌐",
}
