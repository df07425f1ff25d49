using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;

namespace AiPlatform.Gateway.Lake;

/// <summary>An inference task for a model that is not in the lake is refused at submit, not left to fail on the workers.</summary>
public sealed class ModelExistsCheck(LakeCatalog lake) : ITaskAdmissionCheck
{
    public async Task<IResult?> CheckAsync(SubmitTaskRequest request, CancellationToken ct)
    {
        if (request.Type != TaskTypes.Inference) return null;
        try
        {
            LakeCatalog.ValidateName(request.Model!);
        }
        catch (ArgumentException e)
        {
            return ApiError.BadRequest($"field 'model': {e.Message}");
        }
        return await lake.GetModelAsync(request.Model!, ct) is null
            ? ApiError.Result(404, ErrorCodes.ModelNotFound, $"model '{request.Model}' does not exist in the lake; train it first")
            : null;
    }
}
