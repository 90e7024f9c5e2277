"""A Tokyo web engineer's notes: Django, SQLite, meetups and desks."""

from koe.demo.content import BlogSpec, Picture, PostSpec

BLOG = BlogSpec(
    username="tokyo_dev",
    language="ja",
    display_name="けんた",
    bio="東京で Web エンジニアをしています。Python と Django、データベースが好き。",
    title="東京エンジニア日誌",
    description="Python、Django、インフラ、勉強会。東京で働くエンジニアのメモ帳。",
    genre="technology",
    theme="sora",
    hue=0.58,
    categories=("Python", "インフラ", "勉強会"),
    posts=(
        PostSpec(
            title="Django 5.2 にアップグレードしてハマったこと",
            category="Python",
            tags=("python", "django", "エンジニア"),
            day=4,
            time="23:10",
            pictures=(Picture("terminal", "エディタの画面", "django-upgrade"),),
            body="""\
業務のプロジェクトを Django 4.2 から 5.2 に上げました。LTS から LTS への移行です。

{{pic:1}}

## やったこと

1. まず警告をすべて出す: `python -Wa manage.py test`
2. 非推奨の API を一つずつ置き換える
3. サードパーティのパッケージを最新にする

## ハマったところ

フォームの `render` まわりのテンプレートが変わっていて、独自テンプレートが崩れました。

```python
# settings.py
FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
```

> アップグレードは、テストがあるから怖くない。テストがなければ、ただの祈り。

結局、丸一日で完了。テストを書いておいた過去の自分に感謝です。
""",
            comments=(
                ("@demo", "Great write-up! The -Wa tip saved me a lot of time, thanks."),
                ("匿名エンジニア", "テストがなければ祈り、名言ですね…"),
            ),
        ),
        PostSpec(
            title="SQLite の WAL モード、思っていたより速かった",
            category="インフラ",
            tags=("sqlite", "データベース", "エンジニア"),
            day=10,
            time="21:00",
            body="""\
小さなサービスなら SQLite で十分では？と思い、WAL モードで簡単に計測してみました。

## 設定

```sql
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = 5000;
```

## 結果（ノートPC、1万件の書き込み）

| モード | 書き込み | 読み込み（並行） |
| --- | --- | --- |
| DELETE（デフォルト） | 遅い | 書き込み中は待たされる |
| WAL | 約5倍速い | 書き込み中も読める |

## わかったこと

- 読み込みが多いブログのようなサービスには相性がいい
- 書き込みは同時に一つだけ、という前提は忘れずに
- バックアップは `.backup` コマンドで安全に取れる

もちろん、サーバーを増やすなら PostgreSQL です。
""",
        ),
        PostSpec(
            title="渋谷の勉強会で LT してきました",
            category="勉強会",
            tags=("勉強会", "渋谷", "python"),
            day=14,
            time="22:30",
            body="""\
渋谷で開かれた Python の勉強会で、5分間のライトニングトークをしてきました。
テーマは「Markdown を安全に HTML にする」。

## 話したこと

- Markdown をそのまま HTML にすると危ない理由
- サニタイズは「許可するものを列挙する」方式で
- 画像の URL も見張る必要がある

## 緊張対策

1. スライドは10枚まで
2. 一枚に一つのことだけ書く
3. 最初のジョークを決めておく（滑りました）

> 登壇すると、その話題について一番学ぶのは自分自身。

懇親会のピザがおいしかったです。
""",
        ),
        PostSpec(
            title="在宅ワークのデスク環境を見直した",
            category="インフラ",
            tags=("在宅ワーク", "デスク環境", "エンジニア"),
            day=22,
            time="20:15",
            pictures=(Picture("shapes", "デスクのイメージ", "desk"),),
            body="""\
週3回の在宅勤務。肩こりがひどくなってきたので、思い切ってデスク環境を見直しました。

{{pic:1}}

## 変えたもの

| 前 | 後 | 効果 |
| --- | --- | --- |
| ダイニングチェア | オフィスチェア | 腰が楽に |
| ノートPCのみ | 外部モニター | 首が楽に |
| 天井の照明だけ | デスクライト | 目の疲れが減った |

## 変えなかったもの

- キーボード（手になじんでいるので）
- 観葉植物（増やしたいけど、猫が食べる）

投資した分、仕事の集中力で取り返します。
""",
        ),
    ),
)
