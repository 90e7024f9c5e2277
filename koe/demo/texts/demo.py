"""Life in Tokyo as a newcomer: the blog of the demo account people sign in with."""

from koe.demo.content import DRAFT, SCHEDULED, BlogSpec, Picture, PostSpec

BLOG = BlogSpec(
    username="demo",
    language="en",
    account_language="",  # whoever signs in as demo gets the language their browser asks for
    display_name="Dana (demo)",
    bio="Moved from Manchester to Tokyo three years ago. Still bowing to vending machines.",
    title="Slow Days in Tokyo",
    description="Everyday life in Japan, one small discovery at a time.",
    genre="lifestyle",
    theme="sora",
    hue=0.55,
    categories=("Everyday life", "Language", "Paperwork"),
    header=Picture("waves", "Soft blue waves", "expat-header"),
    posts=(
        PostSpec(
            title="My first three years in Tokyo, in ten small lessons",
            category="Everyday life",
            tags=("tokyo", "japan", "expat", "東京"),
            day=3,
            time="19:30",
            pictures=(Picture("bokeh", "City lights at night", "tokyo-night"),),
            body="""\
Three years ago I landed at Haneda with two suitcases and a phrasebook. Here is what I wish
someone had told me.

{{pic:1}}

## The lessons

1. Carry a small towel. Many public bathrooms have no paper towels.
2. The rubbish schedule is sacred. Learn it in your first week.
3. Convenience stores can pay your bills, print your documents and feed you.
4. Trains are quiet. Phone calls wait until you are off.
5. Say *sumimasen* a lot. It means sorry, excuse me and thank you.
6. Cash still matters in small restaurants.
7. Your neighbourhood is your real home, not the city.
8. Summer is serious. Drink water.
9. Everything seasonal is limited edition, and you will want all of it.
10. People are kinder than the rules make them look.

> Tokyo is not one city. It is a thousand villages that agreed to share a train map.

What would be on your list?
""",
            comments=(
                ("@cafe_hinata", "素敵なリストですね！9番、すごくわかります（季節限定に弱い）。"),
                (
                    "@trail_notes",
                    "Number 8 is so true. I learned it the hard way on Mount Takao in August.",
                ),
                ("Priya", "Moving to Osaka next spring, this is exactly what I needed."),
            ),
        ),
        PostSpec(
            title="Changing your address at the ward office in one morning",
            category="Paperwork",
            tags=("japan", "paperwork", "expat"),
            day=9,
            time="12:00",
            body="""\
I moved flats last month and braced myself for a day of queues. It took two hours.

## What to bring

- Your residence card
- Your My Number card (if you have one)
- Your passport, just in case
- The moving-out certificate from your old ward

## The steps

| Step | Where | Time it took |
| --- | --- | --- |
| Take a number | Entrance machine | 1 minute |
| Fill in the moving-in form | Writing desk | 10 minutes |
| Wait to be called | Residents' section | 45 minutes |
| National health insurance | Next counter | 20 minutes |

## Tips

- Go on a weekday morning, right at opening time
- The forms have English versions if you ask
- Bring a book

> Paperwork in Japan is slow but predictable. Predictable is underrated.
""",
        ),
        PostSpec(
            title="Learning Japanese from a café menu",
            category="Language",
            tags=("japanese", "language", "カフェ"),
            day=13,
            time="16:45",
            body="""\
My favourite study method costs the price of a coffee: read the whole menu before ordering.

## Words I learned this week

| Japanese | Reading | Meaning |
| --- | --- | --- |
| 本日のおすすめ | honjitsu no osusume | today's recommendation |
| 季節限定 | kisetsu gentei | seasonal, limited time |
| 温かい / 冷たい | atatakai / tsumetai | hot / iced |
| 持ち帰り | mochikaeri | takeaway |
| 店内 | tennai | to eat in |

## Why it works

- The words come with a picture and a price
- You can practise ordering right away
- The staff are usually patient when you try

Next week: bakery labels. Wish me luck with 全粒粉.
""",
            comments=(("@tokyo_dev", "温かい vs 暖かい の違いも面白いですよ。頑張ってください！"),),
        ),
        PostSpec(
            title="Sento etiquette for nervous beginners",
            category="Everyday life",
            tags=("sento", "tokyo", "japan"),
            day=20,
            time="21:15",
            pictures=(Picture("waves", "Tiles and water", "sento"),),
            body="""\
The neighbourhood bathhouse is one of my favourite places in Tokyo. The first visit is scary,
so here is the whole routine.

{{pic:1}}

## Before the bath

1. Shoes go in the small lockers at the entrance
2. Pay at the front desk (around 550 yen in Tokyo)
3. Undress in the changing room and keep only a small towel

## In the bath

- Wash **before** you get in, sitting on the little stool
- The small towel never goes in the water. People fold it on their head
- Keep quiet and don't swim, however tempting

> Nobody is looking at you. Everyone is too busy being warm.

Finish with a cold bottle of coffee milk from the fridge. That part is compulsory.
""",
        ),
        PostSpec(
            title="Cherry blossom spots that are not on every list",
            category="Everyday life",
            tags=("sakura", "tokyo", "花見"),
            day=-3,
            time="08:00",
            state=SCHEDULED,
            pictures=(Picture("shapes", "Pink petals", "sakura"),),
            body="""\
Everyone goes to Ueno and Meguro River. These are the quieter places I go instead.

{{pic:1}}

## My list

1. A small shrine by the canal near my flat
2. The riverside path in the far west of the city
3. A university campus that opens its gates for one weekend

Bring a mat, a thermos and a friend.
""",
        ),
        PostSpec(
            title="Notes: a post about convenience stores",
            category="Everyday life",
            tags=("konbini", "japan"),
            state=DRAFT,
            body="""\
Ideas for a post about konbini, not finished yet.

- Onigiri ranking (tuna mayo wins?)
- How to pay bills at the counter
- Seasonal sweets: photograph them before they disappear
- The music every chain plays when the door opens
""",
        ),
    ),
)
