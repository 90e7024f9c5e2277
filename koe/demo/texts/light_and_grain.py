"""Night streets, golden hours and film photography."""

from koe.demo.content import BlogSpec, Picture, PostSpec

BLOG = BlogSpec(
    username="light_and_grain",
    language="en",
    display_name="Mika Laurent",
    bio="Street and night photographer in Tokyo. Film on weekends, digital on weekdays.",
    title="Light & Grain",
    description="Night streets, golden hours and the occasional roll of film.",
    genre="art-photo",
    theme="sumi",
    hue=0.75,
    categories=("Night", "Film", "Technique"),
    header=Picture("bokeh", "City lights out of focus", "photo-header"),
    posts=(
        PostSpec(
            title="Shooting neon in the rain",
            category="Night",
            tags=("photography", "tokyo", "night"),
            day=1,
            time="23:00",
            pictures=(
                Picture("bokeh", "Neon reflections in a puddle", "neon-1"),
                Picture("bokeh", "Shop signs out of focus", "neon-2"),
            ),
            body="""\
Rain is the best thing that can happen to a night street. Every puddle becomes a second sign.

{{pic:1}}

## Settings I start with

| Setting | Value |
| --- | --- |
| Aperture | f/1.8 – f/2.8 |
| Shutter | 1/125 s |
| ISO | 1600 – 3200 |
| White balance | 3800 K |

## Tips

- Get low. Puddles reflect more from close to the ground
- Use an umbrella as a frame, not just a shelter
- Underexpose a little to keep the colours rich

{{pic:2}}
""",
            comments=(
                ("@side_b_radio", "These colours! Feels like an album cover."),
                ("@neko_nikki", "雨の日も撮影に出かけるなんて素敵です。"),
            ),
        ),
        PostSpec(
            title="Why I still shoot film",
            category="Film",
            tags=("photography", "film"),
            day=10,
            time="10:30",
            body="""\
Every few months someone asks why I bother. Here's my honest answer.

## Because it is slow

Thirty-six frames make me choose. I walk around a subject before pressing the shutter.

## Because I can't look

No screen on the back means I stay in the moment, not in the menu.

## Because of the wait

> A roll of film is a letter you write to yourself and open a week later.

It isn't better than digital. It's different, and the difference is good for me.
""",
        ),
        PostSpec(
            title="Golden hour on the bay: a five-minute window",
            category="Technique",
            tags=("photography", "sunset", "yokohama"),
            day=17,
            time="18:20",
            pictures=(
                Picture("sunset", "The sun touching the water", "bay-1"),
                Picture("sunset", "The last light", "bay-2"),
            ),
            body="""\
The best light on Tokyo Bay lasts about five minutes. Be ready before it starts.

{{pic:1}}

## Plan it

1. Check the sunset direction with a sun-position app
2. Arrive 40 minutes early and find your frame
3. Shoot a few frames every minute; the colour changes fast

{{pic:2}}

Stay after sunset too. The blue hour is the quiet encore.
""",
        ),
        PostSpec(
            title="Composition exercises with nothing but shapes",
            category="Technique",
            tags=("photography", "composition"),
            day=26,
            time="14:00",
            pictures=(Picture("shapes", "Shapes arranged on a pale background", "composition"),),
            body="""\
When I feel stuck, I stop photographing things and start photographing shapes.

{{pic:1}}

## Three exercises

- **Only circles** for one walk: manholes, lamps, clocks
- **Triangles** from stairs, roofs and shadows
- **One colour**: find ten red things before you go home

> Subjects come and go. Shapes are always there.

Try one this weekend and show me what you find.
""",
        ),
    ),
)
