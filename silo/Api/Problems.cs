namespace OrleansRag.Silo.Api;

/// <summary>RFC 7807 problem responses with a stable type URI per kind of problem.</summary>
public static class Problems
{
    private const string TypeBase = "https://orleansrag.dev/problems/";

    public static IResult BadRequest(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", type: TypeBase + "invalid-request");

    public static IResult NotFound(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "Not found", type: TypeBase + "not-found");

    public static IResult TooLarge(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large", type: TypeBase + "too-large");

    public static IResult UnsupportedMediaType(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type", type: TypeBase + "unsupported-media-type");
}
