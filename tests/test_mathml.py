"""build.browser_mathml: KaTeX's MathML rewritten into what MathML Core browsers draw."""
from __future__ import annotations

import re

import pytest

import build

NS = 'xmlns="http://www.w3.org/1998/Math/MathML"'


def rewrite(body: str) -> str:
    """``body`` as KaTeX wraps it, through the rewrite, namespace declaration dropped."""
    out = build.browser_mathml(f'<span class="katex"><math {NS}><semantics><mrow>{body}</mrow>'
                               '<annotation encoding="application/x-tex">x</annotation></semantics></math></span>')
    assert out.startswith(f"<math {NS}>") and "katex" not in out
    return out.replace(f" {NS}", "")


@pytest.mark.parametrize("variant,text,expected", [
    ("double-struck", "R", "ℝ"),  # one of the letters Unicode placed before its math alphabets
    ("double-struck", "E", "𝔼"),
    ("bold", "1", "𝟏"),
    ("sans-serif", "TC", "𝖳𝖢"),
])
def test_styled_letters_become_their_unicode_letters(variant, text, expected):
    tag = "mn" if text.isdigit() else "mi"
    assert f"<{tag}>{expected}</{tag}>" in rewrite(f'<{tag} mathvariant="{variant}">{text}</{tag}>')


def test_one_letter_identifiers_are_written_italic_and_words_and_upright_letters_are_not():
    out = rewrite('<mi>x</mi><mi>h</mi><mi>σ</mi><mi>exp</mi><mi mathvariant="normal">Δ</mi><mi>∞</mi>')
    assert "<mi>𝑥</mi><mi>ℎ</mi><mi>𝜎</mi><mi>exp</mi>" in out
    assert '<mi mathvariant="normal">Δ</mi><mi>∞</mi>' in out


def test_column_alignment_and_spacing_move_onto_the_cells():
    cells = "<mtr><mtd><mi>a</mi></mtd><mtd><mi>b</mi></mtd><mtd><mi>c</mi></mtd></mtr>"
    out = rewrite(f'<mtable rowspacing="0.25em" columnalign="right left" columnspacing="0em 2em">{cells}</mtable>')
    assert "columnalign" not in out and "spacing" not in out
    tds = re.findall(r"<mtd ([^>]*)>", out)
    # the last alignment and spacing repeat, as MathML defines
    assert tds == [
        'class="math-right" style="padding:0.125em 0em 0.125em 0em"',
        'class="math-left" style="padding:0.125em 1em 0.125em 0em"',
        'class="math-left" style="padding:0.125em 0em 0.125em 1em"',
    ]


def test_accents_are_drawn_with_the_characters_math_fonts_place():
    out = rewrite('<mover accent="true"><mi>w</mi><mo>^</mo></mover><mover accent="true"><mi>A</mi><mo>ˉ</mo></mover>')
    assert '<mo stretchy="false">ˆ</mo>' in out and '<mo stretchy="false">‾</mo>' in out


def test_operators_in_scripts_and_signs_that_start_a_term_are_not_spaced():
    out = rewrite('<msub><mi>h</mi><mrow><mi>t</mi><mo>−</mo><mn>1</mn></mrow></msub>'
                  '<mo>=</mo><mo>−</mo><mi>a</mi><mo>−</mo><mi>b</mi>')
    assert out.count('lspace="0" rspace="0"') == 2
    assert '<mo lspace="0" rspace="0">−</mo><mn>1</mn>' in out  # in the subscript
    assert '<mo>=</mo><mo lspace="0" rspace="0">−</mo><mi>𝑎</mi><mo>−</mo>' in out  # sign, then binary minus


def test_underset_wrapped_in_a_token_becomes_a_row():
    out = rewrite("<mi><munder><mo><mi>x</mi></mo><mtext>label</mtext></munder></mi>")
    assert "<mrow><munder><mrow><mi>𝑥</mi></mrow><mtext>label</mtext></munder></mrow>" in out


def test_a_stretched_brace_is_refused_with_what_to_write_instead():
    with pytest.raises(ValueError, match=r"\\underset"):
        rewrite('<munder><mrow><mi>x</mi></mrow><mo stretchy="true">⏟</mo></munder>')


@pytest.mark.parametrize("variant,text,expected", [
    ("bold-italic", "α", "𝜶"),
    ("bold", "Σ", "𝚺"),
    ("fraktur", "C", "ℭ"),  # BLACK-LETTER CAPITAL C, older than the block
])
def test_styled_greek_and_older_letters(variant, text, expected):
    assert f"<mi>{expected}</mi>" in rewrite(f'<mi mathvariant="{variant}">{text}</mi>')


def test_a_style_unicode_lacks_stops_with_a_reason():
    with pytest.raises(ValueError, match="no bold form of '∞'"):
        rewrite('<mi mathvariant="bold">∞</mi>')


def test_an_accent_over_text_becomes_the_accented_letter():
    out = rewrite('<mtext>caf</mtext><mover accent="true"><mtext>e</mtext><mo>ˊ</mo></mover>')
    assert "<mtext>caf</mtext><mtext>é</mtext>" in out


def test_a_wide_accent_keeps_stretching():
    out = rewrite('<mover accent="true"><mrow><mi>A</mi><mi>B</mi></mrow><mo stretchy="true">^</mo></mover>')
    assert '<mo stretchy="true">\u0302</mo>' in out


@pytest.mark.parametrize("body", [
    '<menclose notation="box"><mi>x</mi></menclose>',
    '<mtable columnlines="solid"><mtr><mtd><mi>a</mi></mtd></mtr></mtable>',
    '<mtable width="100%"><mtr><mtd width="50%"></mtd><mtd><mi>x</mi></mtd></mtr></mtable>',
])
def test_what_chromium_would_not_draw_is_refused(body):
    with pytest.raises(ValueError, match="Chromium|numbered"):
        rewrite(body)


def test_spaces_and_postfix_operators_do_not_make_the_next_minus_a_sign():
    out = rewrite('<mi>n</mi><mo stretchy="false">!</mo><mo>−</mo><mn>1</mn><mo>=</mo><mtext>\u00a0</mtext><mo>−</mo><mi>y</mi>')
    assert '<mo stretchy="false">!</mo><mo>−</mo>' in out  # binary after n!
    assert '<mtext>\u00a0</mtext><mo lspace="0" rspace="0">−</mo>' in out  # a sign after "= \;"


def test_the_font_holds_the_radical_a_square_root_is_drawn_with():
    assert "√" in build.math_characters("<math><msqrt><mi>d</mi></msqrt></math>")
    assert "√" not in build.math_characters("<math><mi>d</mi></math>")
