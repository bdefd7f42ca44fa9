import pytest

from jobs.common.catalogue import Catalogue, UnknownTableError, _load_specs
from jobs.common.config import load_settings


def test_unknown_table_is_refused_with_a_clear_message():
    cat = Catalogue(load_settings("test", env={}))
    with pytest.raises(UnknownTableError, match="Unknown table 'dwd_nope'.*not in the catalogue"):
        cat.location("dwd_nope")


def test_locations_follow_layer_and_profile(tmp_path):
    local = Catalogue(load_settings("test", env={"MINSHENG_LAKE_URI": str(tmp_path / "lake"),
                                                 "MINSHENG_LANDING_URI": str(tmp_path / "in")}))
    assert local.location("ref_calendar") == f"{tmp_path}/lake/ref/ref_calendar"
    assert local.location("landing_phone") == f"{tmp_path}/in/phone"
    cluster = Catalogue(load_settings("cluster", env={}))
    assert cluster.location("ref_calendar") == "s3a://minsheng-lake/lake/ref/ref_calendar"
    assert cluster.location("gt_incidents") == "s3a://minsheng-lake/ground_truth/incidents"


def test_every_table_has_a_known_grade_and_delta_tables_carry_it_as_a_property():
    cat = Catalogue(load_settings("test", env={}))
    for name in cat.names():
        spec = cat.spec(name)
        assert spec.grade in ("sensitive", "internal", "general"), name
        assert spec.table_properties()["minsheng.data_grade"] == spec.grade
        # the PII scanner reads what silver and gold tables changed since its last clean scan
        feed = spec.table_properties().get("delta.enableChangeDataFeed")
        assert feed == ("true" if spec.layer in ("silver", "gold") else None), name


def test_a_table_defined_twice_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("t1: {layer: ref, grade: general, owner: x}\n")
    (tmp_path / "b.yaml").write_text("t1: {layer: ref, grade: general, owner: y}\n")
    with pytest.raises(ValueError, match="t1 is defined twice: a.yaml and b.yaml"):
        _load_specs(tmp_path)


def test_unknown_grade_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("t1: {layer: ref, grade: secret, owner: x}\n")
    with pytest.raises(ValueError, match="unknown grade 'secret'"):
        _load_specs(tmp_path)
