"""The loader's positions and YAML rules, on scalars in mappings and lists (the loader's fast
path) and on the rarer nodes (tags, anchors, merge keys). Positions are 1-based (line, column,
end line, end column), counted by hand from the text.
"""

from __future__ import annotations

from netspec.loader import load_text

TEXT = """\
name: net
sizes: [3, 0x10, 1_000]
block:
  - conv
  - 'quoted'
  - 2.5
"""


def test_scalar_values_and_their_spans():
    loaded = load_text(TEXT)
    assert not loaded.diagnostics
    data = loaded.data
    assert data == {"name": "net", "sizes": [3, 16, 1000], "block": ["conv", "quoted", 2.5]}
    assert data.spans["name"] == ((1, 1, 1, 5), (1, 7, 1, 10))
    assert data["sizes"].spans == [(2, 9, 2, 10), (2, 12, 2, 16), (2, 18, 2, 23)]
    assert data["block"].spans == [(4, 5, 4, 9), (5, 5, 5, 13), (6, 5, 6, 8)]
    assert data["block"].span == (4, 3, 7, 1)


def test_duplicate_scalar_key_points_at_the_second_key():
    loaded = load_text("name: a\nbatch: 1\n  \nname: b\n")
    [d] = loaded.diagnostics
    assert (d.code, d.line, d.column) == ("NS003", 4, 1)
    assert "first defined at line 1" in d.message
    assert loaded.data["name"] == "a"  # the first one is kept


def test_duplicate_key_inside_a_flow_mapping_in_a_list():
    [d] = load_text("layers:\n  - {type: relu, name: x, type: conv}\n").diagnostics
    assert (d.code, d.line, d.column) == ("NS003", 2, 27)  # `type` again after "  - {type: relu, name: x, "


def test_octal_trap_in_a_mapping_and_in_a_list():
    loaded = load_text("a: 0755\nb: [1, 010]\n")
    assert [(d.code, d.line, d.column) for d in loaded.diagnostics] == [("NS008", 1, 4), ("NS008", 2, 8)]
    assert loaded.data["a"] == 755 and loaded.data["b"] == [1, 10]


def test_yaml_1_1_words_stay_strings_and_quoted_numbers_stay_text():
    data = load_text("a: yes\nb: 'no'\nc: \"12\"\nd: ~\ne: true\n").data
    assert data == {"a": "yes", "b": "no", "c": "12", "d": None, "e": True}


def test_merge_key_copies_absent_keys_and_explicit_keys_win_without_a_duplicate_error():
    loaded = load_text("base: &b {kernel: 3, stride: 1}\nlayer:\n  <<: *b\n  stride: 2\n")
    assert not loaded.diagnostics
    layer = loaded.data["layer"]
    assert layer == {"kernel": 3, "stride": 2}
    assert layer.value_span("kernel") == (1, 19, 1, 20)  # where the merged value was written


def test_quoted_merge_key_is_an_ordinary_key():
    data = load_text("a: &b {k: 1}\nc:\n  '<<': *b\n").data
    assert data["c"] == {"<<": {"k": 1}}


def test_tagged_and_anchored_scalars_take_the_general_path():
    loaded = load_text("a: !!str 3\nb: &x 4\nc: *x\nd: !!python/none ''\n")
    assert loaded.data["a"] == "3" and loaded.data["b"] == 4 and loaded.data["c"] == 4
    assert [(d.code, d.line, d.column) for d in loaded.diagnostics] == [("NS004", 4, 4)]


def test_libyaml_refusing_deep_nesting_first_still_gives_ns012_where_it_is(monkeypatch):
    # libyaml >= 0.2.6 (PyYAML 6.0.4) stops at 1,000 nested flow collections while scanning ahead,
    # before netspec sees the 65th level; the loader then re-reads with the pure-Python parser.
    # Simulated here so the fallback is tested whichever libyaml is installed.
    import yaml

    from netspec import loader

    class NewLibyaml(yaml.SafeLoader):
        def get_event(self):
            raise yaml.MarkedYAMLError("while increasing flow level", None,
                                       "exceeded maximum nesting depth", self.get_mark())

    monkeypatch.setattr(loader, "_yaml_module", lambda: (yaml, NewLibyaml))
    [d] = load_text("layers: " + "[" * 100_000 + "\n").diagnostics
    assert (d.code, d.line, d.column) == ("NS012", 1, 72)  # "layers: " is 8 characters, then 63 `[` fit


def test_tab_indentation_is_named_as_such():
    # issue 13, item 13: PyYAML says "found character that cannot start any token"
    flow = "netspec: 1\nname: t\ninput: {channels: 4}\nlayers:\n\t- {type: dense, units: 8}\n"
    block = "netspec: 1\nname: t\nlayers:\n  - type: dense\n  \t units: 8\n"
    for text, where in ((flow, (5, 1)), (block, (5, 3))):
        d = load_text(text).diagnostics
        assert [(x.code, x.message, x.line, x.column) for x in d] == [
            ("NS002", "tabs cannot indent YAML; indent with spaces", *where)]
    # a tab inside a line is only whitespace; a tab in a quoted value is text
    ok = load_text("name: t\nlayers: [{type: dense,\tunits: 8}]\nnote: \"a\\tb\"\n")
    assert not ok.diagnostics and ok.data["layers"][0]["units"] == 8
