"""Day hikes and long trails around Tokyo and beyond."""

from koe.demo.content import BlogSpec, Picture, PostSpec

BLOG = BlogSpec(
    username="trail_notes",
    language="en",
    display_name="Sam Okafor",
    bio="Weekend hiker, weekday map reader. Based in Yokohama, usually somewhere higher.",
    title="Trail Notes",
    description="Day hikes, long trails and gear that earns its place in the pack.",
    genre="sports",
    theme="matcha",
    hue=0.35,
    categories=("Day hikes", "Gear", "Long trails"),
    header=Picture("landscape", "Mountain ridges", "trail-header"),
    posts=(
        PostSpec(
            title="Mount Takao the quiet way: Trail 6",
            category="Day hikes",
            tags=("hiking", "takao", "tokyo"),
            day=2,
            time="18:00",
            pictures=(
                Picture("landscape", "Ridges from the summit", "takao-summit"),
                Picture("landscape", "Afternoon light on the way down", "takao-down"),
            ),
            body="""\
Mount Takao is an hour from central Tokyo and famously busy. Trail 6 is the answer.

{{pic:1}}

## The route

- Start at Takaosanguchi station and walk past the cable car
- Trail 6 follows a stream, with a few stepping stones
- Summit, then down via Inariyama trail for the views

About 3 hours at an easy pace, 500 m of climbing.

{{pic:2}}

> The crowds are on the paved path. The stream doesn't mind that you came.

Reward yourself with soba at the bottom.
""",
            comments=(
                ("@demo", "Trail 6 was my first hike in Japan! The stepping stones are so fun."),
                ("@kyoto_sanpo", "高尾山、6号路いいですよね。今度歩いてみます！"),
            ),
        ),
        PostSpec(
            title="What's in my day pack (and what I stopped carrying)",
            category="Gear",
            tags=("hiking", "gear"),
            day=7,
            time="20:30",
            body="""\
After five years of day hikes, my pack has got lighter and, oddly, more useful.

## Always in

| Item | Why |
| --- | --- |
| Rain shell | Mountain weather changes in an hour |
| Headlamp | Autumn days are shorter than you think |
| 1.5 L of water | Springs are not guaranteed |
| Small first-aid kit | Blisters, mostly |
| Paper map | Phones run out of battery |

## Stopped carrying

- A second fleece
- A full-size camera (my phone is good enough now)
- "Just in case" snacks for four people

Pack for the hike you're doing, not for every hike you might do.
""",
        ),
        PostSpec(
            title="Kumano Kodo, day one: rain, moss and onigiri",
            category="Long trails",
            tags=("hiking", "kumanokodo", "japan", "travel"),
            day=15,
            time="21:00",
            pictures=(Picture("landscape", "Misty ridges at Kumano", "kumano"),),
            body="""\
The Nakahechi route of the Kumano Kodo has been on my list for years. Day one did not
disappoint, though it did rain.

{{pic:1}}

## Takijiri to Takahara

- 4 km, but steep from the first step
- Stone paths, cedar roots, moss on everything
- Small Oji shrines along the way, each with a stamp

## Things that made the day

1. The guesthouse owner's onigiri, wrapped in bamboo leaf
2. A view of the valley as the clouds lifted
3. A hot bath that I will remember for a long time

> Walk slowly. The old pilgrims were not in a hurry either.

Day two next week.
""",
        ),
        PostSpec(
            title="Reading the weather before a ridge walk",
            category="Day hikes",
            tags=("hiking", "weather", "safety"),
            day=23,
            time="19:45",
            body="""\
Ridges are the best part of a hike and the worst place to be in a storm.

## The evening before

- Check the mountain forecast, not the city one
- Look at wind speed at summit height
- Note the sunset time and plan to be down an hour before

## On the trail

1. Watch the clouds building in the early afternoon
2. If you hear thunder, you are close enough to be hit
3. Agree on a turn-around time before you start, and keep it

> The mountain will still be there next weekend.
""",
        ),
    ),
)
