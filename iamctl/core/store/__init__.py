"""The account directory: records (msgspec Structs), their TOML codec, the transactional store."""
