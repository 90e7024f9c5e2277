"""The demo blogs' words, one module per blog, Japanese and English in turn."""

from koe.demo.texts import (
    cafe_hinata,
    crumb_club,
    demo,
    kyoto_sanpo,
    light_and_grain,
    neko_nikki,
    ramen_michi,
    side_b_radio,
    tokyo_dev,
    trail_notes,
)

BLOGS = tuple(
    module.BLOG
    for module in (
        cafe_hinata,
        demo,
        neko_nikki,
        trail_notes,
        kyoto_sanpo,
        light_and_grain,
        tokyo_dev,
        crumb_club,
        ramen_michi,
        side_b_radio,
    )
)
