using System.Text.Json;
using AiPlatform.Platform.Tests.Infrastructure;
using AiPlatform.ScriptApi;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// The script API's readers of predict bodies (images for mnist/serve.csx, feature rows for tabular/serve.csx): every
/// accepted form reads to the same values, and what cannot be read is refused naming the field, within the pixel budget.
/// </summary>
public sealed class ServingInputTests
{
    private static JsonElement Json(object body) => JsonSerializer.SerializeToElement(body);

    [Fact]
    public void An_image_as_numbers_raw_bytes_or_png_reads_to_the_same_pixels()
    {
        var grey = Enumerable.Range(0, 784).Select(i => (byte)(i * 7 % 256)).ToArray();
        var asNumbers = ImageRequest.Parse(Json(new { image = grey.Select(b => b / 255f) }));
        var asBytes = ImageRequest.Parse(Json(new { image = Convert.ToBase64String(grey) }));
        var asPng = ImageRequest.Parse(Json(new { image = "data:image/png;base64," + Convert.ToBase64String(Png.Grey(28, 28, grey)) }));
        Assert.False(asNumbers.IsBatch);
        Assert.Equal(asNumbers.Images[0], asBytes.Images[0]);
        Assert.Equal(asNumbers.Images[0], asPng.Images[0]);
    }

    [Fact]
    public void A_large_png_is_area_resized_so_its_strokes_survive()
    {
        // Left half black, right half white, at 10x the model's size.
        var pixels = Enumerable.Range(0, 280 * 280).Select(i => (byte)(i % 280 < 140 ? 0 : 255)).ToArray();
        var image = ImageRequest.Parse(Json(new { images = new[] { Convert.ToBase64String(Png.Grey(280, 280, pixels)) } }));
        Assert.True(image.IsBatch);
        Assert.All(Enumerable.Range(0, 28), y => Assert.Equal(0f, image.Images[0][y * 28 + 13]));
        Assert.All(Enumerable.Range(0, 28), y => Assert.Equal(1f, image.Images[0][y * 28 + 14]));
    }

    [Theory]
    [InlineData("""{"image": "not base64!"}""", "field 'image' is not valid base64")]
    [InlineData("""{"image": [0.5]}""", "field 'image' must have 784 numbers")]
    [InlineData("""{"images": []}""", "field 'images' must be an array of 1 to 1024 images")]
    [InlineData("""{"picture": 1}""", "field 'image' (or 'images' for a batch) is required")]
    [InlineData("""[1, 2]""", "must be a JSON object")]
    public void A_body_that_is_not_an_image_request_is_refused_naming_the_field(string body, string message)
    {
        var refused = Assert.Throws<InvalidInputException>(() => ImageRequest.Parse(JsonDocument.Parse(body).RootElement));
        Assert.Contains(message, refused.Message);
    }

    [Fact]
    public void An_image_over_the_pixel_budget_is_refused_naming_the_field()
    {
        var tooWide = Png.Grey(2049, 2048, new byte[2049 * 2048]);
        var refused = Assert.Throws<InvalidInputException>(() => ImageRequest.Parse(Json(new { image = Convert.ToBase64String(tooWide) })));
        Assert.StartsWith("field 'image'", refused.Message);
    }

    [Fact]
    public void Images_over_the_request_budget_are_refused_naming_the_first_one_over()
    {
        var full = Convert.ToBase64String(Png.Grey(2048, 2048, new byte[2048 * 2048]));
        var refused = Assert.Throws<InvalidInputException>(() => ImageRequest.Parse(Json(new { images = Enumerable.Repeat(full, 5) })));
        Assert.StartsWith("field 'images[4]'", refused.Message);
        Assert.Contains("per request", refused.Message);
    }

    [Fact]
    public void Feature_rows_read_row_major_and_bad_rows_are_refused_naming_the_cell()
    {
        var rows = FeatureRows.Parse(Json(new { inputs = new[] { new[] { 1f, 2f, 3f }, new[] { 4f, 5f, 6f } } }), features: 3);
        Assert.Equal((2, 3), (rows.Count, rows.Features));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], rows.Values);

        Assert.Contains("'inputs[1]' must be an array of 3 numbers",
            Assert.Throws<InvalidInputException>(() => FeatureRows.Parse(Json(new { inputs = new[] { new[] { 1f, 2f, 3f }, new[] { 4f } } }), 3)).Message);
        Assert.Contains("'inputs[0][1]' must be a finite number",
            Assert.Throws<InvalidInputException>(() => FeatureRows.Parse(JsonDocument.Parse("""{"inputs": [[1, "x", 3]]}""").RootElement, 3)).Message);
        Assert.Contains("with 'inputs'",
            Assert.Throws<InvalidInputException>(() => FeatureRows.Parse(Json(new { instances = new[] { new[] { 1f } } }), 3)).Message);
    }
}
