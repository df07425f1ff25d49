using System.Net.Http.Json;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace AiPlatform.Gateway.Alerts;

/// <summary>
/// Passes a notification on to every configured webhook and to e-mail. It keeps nothing itself: a failed forward fails
/// the notification's request, and Alertmanager, which keeps its notifications until delivered, sends it again.
/// </summary>
public sealed class AlertForwarder(IHttpClientFactory clients, IOptions<AlertOptions> options, ILogger<AlertForwarder> logger)
{
    public const string ClientName = "alert-webhooks";

    /// <returns>What failed, one line per target; empty when every target took it.</returns>
    public async Task<IReadOnlyList<string>> ForwardAsync(IReadOnlyList<ReceivedAlert> alerts, CancellationToken ct)
    {
        if (alerts.Count == 0) return [];
        var settings = options.Value;
        var sends = settings.Webhooks.Select(hook => (Target: $"webhook {hook.Url}", Send: (Func<CancellationToken, Task>)(t => PostAsync(hook, alerts, t))))
            .ToList();
        if (settings.Email is { } email) sends.Add(($"e-mail via {email.SmtpHost}:{email.SmtpPort}", t => MailAsync(email, alerts, t)));

        var outcomes = await Task.WhenAll(sends.Select(async s =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(settings.ForwardTimeout);
            try
            {
                await s.Send(timeout.Token);
                return null;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                var why = e is OperationCanceledException ? $"no answer within {settings.ForwardTimeout.TotalSeconds:0.#} s" : e.Message;
                logger.LogWarning("Forwarding {Count} alert(s) to {Target} failed: {Reason}", alerts.Count, s.Target, why);
                return $"{s.Target}: {why}";
            }
        }));
        return outcomes.OfType<string>().ToList();
    }

    private async Task PostAsync(AlertWebhook hook, IReadOnlyList<ReceivedAlert> alerts, CancellationToken ct)
    {
        object body = hook.Format == AlertWebhook.Slack
            ? new { text = Subject(alerts) + "\n" + string.Join("\n", alerts.Select(a => $"• [{a.Status}] {a.Summary}" + (a.Description.Length > 0 ? $": {a.Description}" : ""))) }
            : new { source = "aiplatform", status = OverallStatus(alerts), alerts = alerts.Select(AlertView.From) };
        using var response = await clients.CreateClient(ClientName).PostAsJsonAsync(hook.Url, body, AlertView.Json, ct);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"answered {(int)response.StatusCode}");
    }

    private static async Task MailAsync(AlertEmail email, IReadOnlyList<ReceivedAlert> alerts, CancellationToken ct)
    {
        var message = new MimeMessage { Subject = Subject(alerts) };
        message.From.Add(MailboxAddress.Parse(email.From));
        foreach (var to in email.To) message.To.Add(MailboxAddress.Parse(to));
        var text = new StringBuilder();
        foreach (var alert in alerts)
        {
            text.AppendLine($"[{alert.Status.ToUpperInvariant()}] {alert.Name}: {alert.Summary}");
            if (alert.Description.Length > 0) text.AppendLine(alert.Description);
            text.AppendLine($"labels: {string.Join(", ", alert.Labels.Select(l => $"{l.Key}={l.Value}"))}");
            text.AppendLine($"since {alert.StartsAt:u}" + (alert.EndsAt is { } end ? $", ended {end:u}" : ""));
            if (alert.GeneratorUrl is not null) text.AppendLine(alert.GeneratorUrl);
            text.AppendLine();
        }
        message.Body = new TextPart("plain") { Text = text.ToString() };

        using var smtp = new SmtpClient();
        var security = email.Security switch
        {
            "tls" => SecureSocketOptions.SslOnConnect,
            "none" => SecureSocketOptions.None,
            _ => SecureSocketOptions.StartTlsWhenAvailable,
        };
        await smtp.ConnectAsync(email.SmtpHost, email.SmtpPort, security, ct);
        if (!string.IsNullOrEmpty(email.Username)) await smtp.AuthenticateAsync(email.Username, email.Password ?? "", ct);
        await smtp.SendAsync(message, ct);
        await smtp.DisconnectAsync(quit: true, ct);
    }

    private static string OverallStatus(IReadOnlyList<ReceivedAlert> alerts) => alerts.Any(a => a.Status == "firing") ? "firing" : "resolved";

    /// <summary>Alertmanager's own convention: "[FIRING:2] TaskFailureRateHigh".</summary>
    private static string Subject(IReadOnlyList<ReceivedAlert> alerts)
    {
        var status = OverallStatus(alerts);
        var names = string.Join(", ", alerts.Select(a => a.Name).Distinct());
        return $"[{status.ToUpperInvariant()}:{alerts.Count(a => a.Status == status)}] {names}";
    }
}
