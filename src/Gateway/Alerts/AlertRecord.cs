using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Alerts;

/// <summary>
/// An alert as Alertmanager last reported it; a row of <c>alerts</c>. One firing episode is one row: Alertmanager keys
/// an alert by its label set (the fingerprint) and gives a new episode a new start.
/// </summary>
public sealed class AlertRecord
{
    public string Fingerprint { get; set; } = "";
    public DateTimeOffset StartsAt { get; set; }
    public string Name { get; set; } = "";
    public string Status { get; set; } = "";
    public string? Severity { get; set; }
    public string Summary { get; set; } = "";
    public string Description { get; set; } = "";
    public string LabelsJson { get; set; } = "{}";
    public DateTimeOffset? EndsAt { get; set; }
    public string? GeneratorUrl { get; set; }
    public DateTimeOffset FirstReceivedAt { get; set; }
    public DateTimeOffset LastReceivedAt { get; set; }
    public int Notifications { get; set; }
}

public static class AlertModel
{
    public static void Configure(ModelBuilder model) =>
        model.Entity<AlertRecord>(a =>
        {
            a.ToTable("alerts");
            a.HasKey(x => new { x.Fingerprint, x.StartsAt });
            a.Property(x => x.LabelsJson).HasColumnType("jsonb");
        });
}
