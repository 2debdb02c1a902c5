from dam.adapters.dynamodb.schema import table_specs


def test_assets_table_serves_every_list_with_a_query() -> None:
    (assets,) = table_specs()
    assert assets.logical_name == "Assets"
    assert assets.partition_key.name == "asset_id" and assets.sort_key is None
    indexes = {i.name: (i.partition_key.name, i.sort_key.name if i.sort_key else None) for i in assets.indexes}
    assert indexes == {
        "gallery": ("gallery_key", "created_key"),
        "by_type": ("type_key", "created_key"),
        "by_media": ("media_key", "created_key"),
        "by_model": ("model_key", "created_key"),
        "by_creator": ("creator_key", "created_key"),
        "by_checksum": ("checksum_key", "created_key"),
    }
    assert assets.ttl_attribute == "expires_at"
    assert assets.stream_view_type == "NEW_AND_OLD_IMAGES"


def test_create_table_arguments_define_each_key_attribute_once() -> None:
    (assets,) = table_specs()
    kwargs = assets.create_table_kwargs("t")
    names = [d["AttributeName"] for d in kwargs["AttributeDefinitions"]]
    assert sorted(names) == sorted(set(names))
    assert len(kwargs["GlobalSecondaryIndexes"]) == 6
    assert kwargs["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
