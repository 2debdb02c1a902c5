from dam.adapters.dynamodb.schema import TableSpec, table_specs


def _spec(logical_name: str) -> TableSpec:
    return next(spec for spec in table_specs() if spec.logical_name == logical_name)


def _indexes(spec: TableSpec) -> dict[str, tuple[str, str | None]]:
    return {i.name: (i.partition_key.name, i.sort_key.name if i.sort_key else None) for i in spec.indexes}


def test_there_is_a_table_for_assets_one_for_the_library_and_one_for_the_audit_log() -> None:
    assert sorted(spec.logical_name for spec in table_specs()) == ["Assets", "Audit", "Library"]


def test_assets_table_serves_every_list_with_a_query() -> None:
    assets = _spec("Assets")
    assert assets.partition_key.name == "asset_id" and assets.sort_key is None
    assert _indexes(assets) == {
        "gallery": ("gallery_key", "created_key"),
        "by_type": ("type_key", "created_key"),
        "by_media": ("media_key", "created_key"),
        "by_model": ("model_key", "created_key"),
        "by_creator": ("creator_key", "created_key"),
        "by_checksum": ("checksum_key", "created_key"),
        "by_folder": ("folder_key", "created_key"),
        "by_run": ("run_key", "created_key"),
        "by_project": ("project_key", "created_key"),
    }
    assert assets.ttl_attribute == "expires_at"
    assert assets.stream_view_type == "NEW_AND_OLD_IMAGES"


def test_library_table_is_one_table_with_two_overloaded_indexes() -> None:
    library = _spec("Library")
    assert (library.partition_key.name, library.sort_key and library.sort_key.name) == ("pk", "sk")
    assert _indexes(library) == {"gsi1": ("gsi1pk", "gsi1sk"), "gsi2": ("gsi2pk", "gsi2sk")}
    # Share rate counters and access records expire on their own; its stream feeds the audit log (functions/audit).
    assert library.ttl_attribute == "expires_at" and library.stream_view_type == "NEW_AND_OLD_IMAGES"


def test_audit_table_answers_per_workspace_asset_and_user_by_time_expires_and_has_no_stream() -> None:
    audit = _spec("Audit")
    assert (audit.partition_key.name, audit.sort_key and audit.sort_key.name) == ("pk", "sk")
    assert _indexes(audit) == {"by_actor": ("actor_key", "sk"), "by_asset": ("asset_key", "sk")}
    assert audit.ttl_attribute == "expires_at"
    # No stream: an audit event is never itself audited.
    assert audit.stream_view_type is None


def test_create_table_arguments_define_each_key_attribute_once() -> None:
    for spec, index_count in ((_spec("Assets"), 9), (_spec("Library"), 2)):
        kwargs = spec.create_table_kwargs("t")
        names = [d["AttributeName"] for d in kwargs["AttributeDefinitions"]]
        assert sorted(names) == sorted(set(names))
        assert len(kwargs["GlobalSecondaryIndexes"]) == index_count
    assert _spec("Assets").create_table_kwargs("t")["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
