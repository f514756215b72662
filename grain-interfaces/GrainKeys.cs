namespace OrleansRag;

/// <summary>
/// Grain keys. Every key starts with the tenant so that isolation holds inside the cluster, not only at the edge.
/// Parts are validated ids (see <see cref="RagValidation.CheckId"/>), which never contain '/'.
/// </summary>
public static class GrainKeys
{
    public static string Collection(string tenant, string collection) => $"{tenant}/{collection}";

    public static string Document(string tenant, string collection, string documentId) => $"{tenant}/{collection}/{documentId}";

    public static string Document(string collectionKey, string documentId) => $"{collectionKey}/{documentId}";

    public static string Shard(string collectionKey, int shard) => $"{collectionKey}/{shard}";

    /// <summary>Splits a document or shard key into its collection key and last part.</summary>
    public static (string CollectionKey, string Last) SplitLast(string key)
    {
        var slash = key.LastIndexOf('/');
        if (slash <= 0)
        {
            throw new ArgumentException($"'{key}' is not a tenant/collection/item key.", nameof(key));
        }

        return (key[..slash], key[(slash + 1)..]);
    }

    /// <summary>The tenant of a collection key.</summary>
    public static string Tenant(string collectionKey) => collectionKey[..Math.Max(0, collectionKey.IndexOf('/', StringComparison.Ordinal))];

    /// <summary>The collection name (without tenant) of a collection key.</summary>
    public static string CollectionName(string collectionKey) => collectionKey[(collectionKey.IndexOf('/', StringComparison.Ordinal) + 1)..];
}
