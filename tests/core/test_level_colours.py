"""Level badges: every pin colour of every installed curriculum, with the text colour
/levels.css gives it, reaches WCAG's 4.5:1 contrast for normal text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ilp_training.core.curricula import frameworks
from ilp_training.core.templating import (
    UNKNOWN_COLOUR,
    contrast_ratio,
    level_stylesheet,
    pin_class,
    pin_text_colour,
)

RULE = re.compile(r"\.(pin-[0-9a-f]{6})\{--pin:(#[0-9a-f]{6});--pin-text:(#[0-9a-f]{6})\}")


@pytest.mark.parametrize(("first", "second", "ratio"), [
    ("#ffffff", "#000000", 21.0), ("#000000", "#000000", 1.0),
    ("#777777", "#ffffff", 4.48), ("#F9A825", "#ffffff", 1.97),  # Madya's yellow, white text
    ("#0b6e4f", "#ffffff", 6.25),
])
def test_contrast_ratios_follow_wcag(first, second, ratio):
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)


def test_every_level_badge_has_enough_contrast(app):
    with app.app_context():
        colours = {UNKNOWN_COLOUR} | {level.colour for framework in frameworks().values()
                                      for level in framework.levels}
        rules = {pin: (background, text)
                 for pin, background, text in RULE.findall(level_stylesheet())}
    assert len(colours) >= 4  # the grey and the national curriculum's three levels
    for colour in colours:
        background, text = rules[pin_class(colour)]
        assert background == colour.lower()
        assert contrast_ratio(background, text) >= 4.5, (colour, text)


def test_madya_s_yellow_takes_black_text():
    assert pin_text_colour("#F9A825") == "#000000"
    assert pin_text_colour("#2E7D32") == "#ffffff"


@given(st.integers(0, 0xFFFFFF))
def test_any_colour_a_curriculum_may_give_gets_readable_text(value):
    colour = f"#{value:06x}"
    assert contrast_ratio(colour, pin_text_colour(colour)) >= 4.5
