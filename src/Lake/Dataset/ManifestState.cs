namespace AiPlatform.Lake.Dataset;

/// <summary>
/// What a manifest held beyond the schema and fragments this library models: its raw protobuf (fields, metadata,
/// feature flags, config), the ids of the schema's fields, each fragment as stored and the index section. An append
/// writes these back unchanged, so indices, metadata, field types and row ids survive it.
/// </summary>
internal sealed record ManifestState(
    byte[] Body,
    IReadOnlyList<int> FieldIds,
    IReadOnlyDictionary<long, byte[]> RawFragments,
    byte[]? IndexSection,
    ulong ReaderFeatureFlags,
    ulong WriterFeatureFlags,
    long NextRowId)
{
    public const ulong DeletionFilesFlag = 1, StableRowIdsFlag = 2, V2FormatFlag = 4, TableConfigFlag = 8;

    /// <summary>Reader feature flags whose meaning this library honours; any other set flag makes the table unreadable here.</summary>
    public const ulong ReadableFlags = DeletionFilesFlag | StableRowIdsFlag | V2FormatFlag | TableConfigFlag;

    public bool StableRowIds => (WriterFeatureFlags & StableRowIdsFlag) != 0;
}
