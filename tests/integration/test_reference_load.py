"""`minsheng reference load` into real Delta tables: content, grades, idempotence."""

from jobs.common import delta
from jobs.reference.load import load_reference


def test_reference_tables_load_with_their_grade_and_reloading_changes_nothing(spark, catalogue, reference_loaded):
    names = catalogue.names(layer="ref")
    assert set(reference_loaded) == set(names)
    assert set(reference_loaded.values()) <= {"created", "unchanged"}
    versions = {n: delta.current_version(spark, catalogue, n) for n in names}
    assert load_reference(spark, catalogue) == dict.fromkeys(names, "unchanged")
    assert {n: delta.current_version(spark, catalogue, n) for n in names} == versions
    props = delta.table(spark, catalogue, "ref_community").detail().first()["properties"]
    assert props["minsheng.data_grade"] == "general"


def test_reference_content_is_queryable_and_consistent(spark, catalogue, reference_loaded):
    cat = catalogue.read(spark, "ref_category")
    rules = catalogue.read(spark, "ref_dispatch_rule")
    districts = catalogue.read(spark, "ref_district")
    assert cat.count() >= 90
    # every (L3, district) pair has exactly one dispatch rule
    pairs = cat.select("l3_code").crossJoin(districts.select("district_code"))
    assert pairs.join(rules, ["l3_code", "district_code"], "left_anti").count() == 0
    assert rules.groupBy("l3_code", "district_code").count().filter("count > 1").count() == 0
    cal = catalogue.read(spark, "ref_calendar")
    assert cal.filter("day_type = 'makeup_workday' AND is_workday").count() == cal.filter(
        "day_type = 'makeup_workday'").count() > 0
