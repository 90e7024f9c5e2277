"""The genres a blog can belong to, in Japanese and English."""

from django.db import migrations

GENRES = [
    ("diary", "日記", "Diary"),
    ("food", "グルメ", "Food"),
    ("cooking", "料理", "Cooking"),
    ("travel", "旅行", "Travel"),
    ("pets", "ペット", "Pets"),
    ("beauty", "美容", "Beauty"),
    ("fashion", "ファッション", "Fashion"),
    ("parenting", "子育て", "Parenting"),
    ("health", "健康", "Health"),
    ("music", "音楽", "Music"),
    ("movies", "映画", "Movies"),
    ("books", "本", "Books"),
    ("anime-manga", "アニメ・漫画", "Anime & manga"),
    ("games", "ゲーム", "Games"),
    ("sports", "スポーツ", "Sports"),
    ("entertainment", "芸能", "Entertainment"),
    ("technology", "テクノロジー", "Technology"),
    ("business", "ビジネス", "Business"),
    ("art-photo", "アート・写真", "Art & photography"),
    ("lifestyle", "暮らし", "Lifestyle"),
    ("local", "地域", "Local"),
    ("news", "ニュース", "News"),
]


def add_genres(apps, schema_editor):
    Genre = apps.get_model("blogs", "Genre")
    for position, (slug, name_ja, name_en) in enumerate(GENRES):
        Genre.objects.update_or_create(
            slug=slug, defaults={"name_ja": name_ja, "name_en": name_en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("blogs", "0001_initial")]
    operations = [migrations.RunPython(add_genres, migrations.RunPython.noop)]
