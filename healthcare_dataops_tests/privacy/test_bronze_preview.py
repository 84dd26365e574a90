"""The bronze preview in the materialization metadata shows result values only as numbers:
a free-text OBX-5 or note never reaches the event log or the UI."""

from healthcare_dataops.lakehouse.metadata import TEXT_WITHHELD, _markdown_table


def test_free_text_result_values_are_withheld_numbers_shown():
    table = _markdown_table([
        {"observation_code": "8251-1", "observation_value": "Called Jane Roe at 555-0100", "value": "felt dizzy"},
        {"observation_code": "2345-7", "observation_value": "71", "value": "-1.5e3"},
        {"observation_code": "2160-0", "observation_value": "<^0.2", "value": None},
    ])
    assert "Jane" not in table and "555" not in table and "dizzy" not in table
    assert table.count(TEXT_WITHHELD) == 2
    assert "| 2345-7 | 71 | -1.5e3 |" in table and "<^0.2" in table and "8251-1" in table
