namespace OrleansRag.Silo.Api;

/// <summary>RFC 7807 problem responses with a stable type URI per kind of problem.</summary>
public static class Problems
{
    private const string TypeBase = "https://orleansrag.dev/problems/";

    public static readonly ProblemType InvalidRequest = new(TypeBase + "invalid-request", StatusCodes.Status400BadRequest, "Invalid request");
    public static readonly ProblemType NotFoundType = new(TypeBase + "not-found", StatusCodes.Status404NotFound, "Not found");
    public static readonly ProblemType TooLargeType = new(TypeBase + "too-large", StatusCodes.Status413PayloadTooLarge, "Payload too large");
    public static readonly ProblemType UnsupportedMediaTypeType = new(TypeBase + "unsupported-media-type", StatusCodes.Status415UnsupportedMediaType, "Unsupported media type");

    /// <summary>Every problem type the API answers with its own URI (the OpenAPI document lists them).</summary>
    public static IReadOnlyList<ProblemType> Types { get; } = [InvalidRequest, NotFoundType, TooLargeType, UnsupportedMediaTypeType];

    public static IResult BadRequest(string detail) => InvalidRequest.Result(detail);

    public static IResult NotFound(string detail) => NotFoundType.Result(detail);

    public static IResult TooLarge(string detail) => TooLargeType.Result(detail);

    public static IResult UnsupportedMediaType(string detail) => UnsupportedMediaTypeType.Result(detail);
}

/// <summary>One kind of problem: its type URI, status code and title.</summary>
public sealed record ProblemType(string Uri, int Status, string Title)
{
    public IResult Result(string detail) => Results.Problem(detail: detail, statusCode: Status, title: Title, type: Uri);
}
