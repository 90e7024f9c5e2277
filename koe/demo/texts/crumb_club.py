"""Home baking: bread, cakes and the basics behind them."""

from koe.demo.content import BlogSpec, Picture, PostSpec

BLOG = BlogSpec(
    username="crumb_club",
    language="en",
    display_name="Hannah Ruiz",
    bio="Home baker with a small oven and big ambitions. Sourdough starter named Gerald.",
    title="The Crumb Club",
    description="Breads, cakes and the basics behind them, baked in a tiny kitchen.",
    genre="cooking",
    theme="sakura",
    hue=0.08,
    categories=("Bread", "Cakes", "Basics"),
    posts=(
        PostSpec(
            title="A weekday sourdough that fits around work",
            category="Bread",
            tags=("baking", "sourdough", "bread"),
            day=4,
            time="07:15",
            pictures=(Picture("bread", "A scored sourdough loaf", "sourdough"),),
            body="""\
Sourdough has a reputation for taking over your life. It doesn't have to.

{{pic:1}}

## The schedule

| When | What |
| --- | --- |
| Tue 22:00 | Feed the starter |
| Wed 07:00 | Mix dough, leave covered |
| Wed 12:30 | Two sets of folds at lunch |
| Wed 18:30 | Shape, into the fridge |
| Thu 07:00 | Bake straight from the fridge |

## The recipe

- 400 g bread flour, 100 g whole wheat
- 375 g water
- 100 g active starter
- 10 g salt

> Cold dough is forgiving dough.

Fresh bread on a Thursday morning, before work. Worth it.
""",
            comments=(
                ("@cafe_hinata", "焼きたてのパンとコーヒー、最高の朝ですね。"),
                ("@demo", "Gerald is the best name for a starter. Trying this schedule this week!"),
            ),
        ),
        PostSpec(
            title="Milk bread buns, soft as a cloud",
            category="Bread",
            tags=("baking", "bread", "japan"),
            day=11,
            time="16:00",
            pictures=(Picture("bread", "A tray of milk bread buns", "buns"),),
            body="""\
Japanese milk bread uses a cooked flour paste, *tangzhong*, to hold extra water. The result
stays soft for days.

## Tangzhong

1. Whisk 25 g flour into 125 ml milk
2. Cook on low heat, stirring, until it looks like pudding
3. Let it cool completely

## Dough

- 350 g bread flour
- 7 g instant yeast, 40 g sugar, 5 g salt
- 1 egg, 120 ml milk, the tangzhong
- 40 g soft butter, added after 5 minutes of kneading

{{pic:1}}

Bake at 180 °C for 20 minutes, brushed with egg.
""",
        ),
        PostSpec(
            title="Baker's percentages, explained with one loaf",
            category="Basics",
            tags=("baking", "basics", "bread"),
            day=18,
            time="12:30",
            body="""\
Baker's percentages describe every ingredient as a share of the flour. It makes recipes easy
to scale.

## One loaf

| Ingredient | Grams | Baker's % |
| --- | --- | --- |
| Flour | 500 | 100 % |
| Water | 350 | 70 % |
| Salt | 10 | 2 % |
| Yeast | 5 | 1 % |

## Scaling it

Need 3 loaves? The arithmetic is one line:

```python
recipe = {"flour": 1.00, "water": 0.70, "salt": 0.02, "yeast": 0.01}
flour = 1500
print({name: round(flour * share) for name, share in recipe.items()})
```

> Learn the percentages and every recipe becomes a starting point.
""",
        ),
        PostSpec(
            title="Matcha swirl pound cake",
            category="Cakes",
            tags=("baking", "matcha", "cake"),
            day=24,
            time="15:30",
            pictures=(Picture("waves", "Green and cream swirls", "matcha-swirl"),),
            body="""\
A classic pound cake with a green ribbon through the middle.

{{pic:1}}

## Ingredients

- 200 g butter, 200 g sugar, 4 eggs, 200 g flour
- 2 tsp matcha, sifted
- A pinch of salt

## Method

1. Cream the butter and sugar until pale
2. Add the eggs one by one
3. Fold in the flour, then split the batter in two
4. Stir the matcha into one half
5. Layer both in the tin and swirl once with a knife

Bake at 170 °C for 50 minutes. Don't swirl twice: you will get a green cake.
""",
        ),
    ),
)
