"""Records, small venues and playlists."""

from koe.demo.content import BlogSpec, Picture, PostSpec

BLOG = BlogSpec(
    username="side_b_radio",
    language="en",
    display_name="Leo Park",
    bio="Record collector, late-night radio fan, occasional DJ in small bars.",
    title="Side B Radio",
    description="Records, small venues and playlists for the train home.",
    genre="music",
    theme="sora",
    hue=0.85,
    categories=("Records", "Live", "Playlists"),
    posts=(
        PostSpec(
            title="Digging for city pop in Shimokitazawa",
            category="Records",
            tags=("music", "vinyl", "citypop", "下北沢"),
            day=5,
            time="17:00",
            pictures=(Picture("vinyl", "A record on a coloured background", "citypop"),),
            body="""\
Shimokitazawa has more record shops per street than anywhere I know. I spent a Saturday in
five of them.

{{pic:1}}

## What I found

- A clean copy of an early-80s album I had only heard on streaming
- Two anime soundtracks, because the covers were too good
- A 7-inch single for 300 yen that turned out to be brilliant

## Digging tips

1. Check the 100-yen crates first; the staff don't price everything carefully
2. Look at the obi strip: it often has the best design
3. Ask to listen. Most shops have a turntable at the counter

> The record you didn't come for is usually the one you keep.
""",
            comments=(
                ("@tokyo_dev", "下北沢のレコード屋巡り、楽しいですよね。100円箱は宝の山！"),
                ("vinyl_kid", "Which shop had the 7-inch? Asking for a friend."),
            ),
        ),
        PostSpec(
            title="A small jazz bar with a big sound system",
            category="Live",
            tags=("music", "jazz", "tokyo"),
            day=12,
            time="23:40",
            pictures=(Picture("bokeh", "Warm lights in a jazz bar", "jazz-bar"),),
            body="""\
Twelve seats, a wall of records and speakers the size of fridges. Japan's jazz kissa are a
world of their own.

{{pic:1}}

## House rules (mostly unwritten)

- Talk quietly, or not at all
- One drink per hour is polite
- Requests are fine, written on a slip of paper

## What I heard

The owner played a full side of a 1959 record, then a local trio's new album. Both sounded
like the band was in the room.
""",
        ),
        PostSpec(
            title="Ten songs for a late train home",
            category="Playlists",
            tags=("music", "playlist"),
            day=16,
            time="00:30",
            body="""\
For the last train, when the city slides past the window.

## The playlist

1. A mellow city pop track with a long fade-out
2. Something with a saxophone solo
3. A lo-fi beat you can barely hear over the train
4. An old ballad your parents knew
5. An instrumental with rain sounds
6. A song in a language you don't speak
7. A track that builds slowly
8. One for the transfer at the big station
9. Something cheerful, against the odds
10. A quiet piano piece for the walk from the station

> Good playlists are written for a place, not for a mood.

What would you put on yours?
""",
        ),
        PostSpec(
            title="Setting up a turntable without losing your mind",
            category="Records",
            tags=("music", "vinyl", "audio"),
            day=27,
            time="20:00",
            pictures=(Picture("vinyl", "A record ready to play", "turntable"),),
            body="""\
Most bad vinyl sound comes from setup, not from the record.

{{pic:1}}

## The checklist

| Step | Tool | Time |
| --- | --- | --- |
| Level the turntable | A small spirit level | 5 min |
| Balance the tonearm | Your eyes and patience | 5 min |
| Set tracking force | A cheap stylus scale | 5 min |
| Set anti-skate | Match the tracking force | 1 min |

## Don't forget

- Keep it off the speaker cabinet
- Clean the stylus gently, back to front
- Store records upright, never stacked

Then sit down and listen to a whole side.
""",
        ),
    ),
)
