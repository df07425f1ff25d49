using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Alerts;

/// <summary>
/// Where the gateway forwards the alerts Alertmanager sends it (<c>Alerts</c> section): any number of webhooks, each
/// in the generic JSON shape or Slack's incoming-webhook shape, and e-mail through an SMTP server.
/// </summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    public List<AlertWebhook> Webhooks { get; set; } = [];

    public AlertEmail? Email { get; set; }

    /// <summary>How long one forward (a webhook call, an e-mail) may take before it counts as failed.</summary>
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class AlertWebhook
{
    public const string Json = "json";
    public const string Slack = "slack";

    public string Url { get; set; } = "";

    /// <summary><c>json</c> (the platform's alert shape) or <c>slack</c> (<c>{"text": ..}</c>, also read by Mattermost and Rocket.Chat).</summary>
    public string Format { get; set; } = Json;
}

public sealed class AlertEmail
{
    public string SmtpHost { get; set; } = "";
    public int SmtpPort { get; set; } = 25;

    /// <summary><c>starttls</c> (upgrade when the server offers it), <c>tls</c> (TLS from the start) or <c>none</c>.</summary>
    public string Security { get; set; } = "starttls";

    public string? Username { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "";
    public List<string> To { get; set; } = [];
}

/// <summary>A forwarding target that cannot work stops the gateway at start, naming the setting, not at the first alert.</summary>
public sealed class AlertOptionsValidation : IValidateOptions<AlertOptions>
{
    private static readonly string[] Securities = ["starttls", "tls", "none"];

    public ValidateOptionsResult Validate(string? name, AlertOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Webhooks.Count; i++)
        {
            var hook = options.Webhooks[i];
            if (!Uri.TryCreate(hook.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                failures.Add($"Alerts:Webhooks:{i}:Url must be an absolute http(s) URL; got '{hook.Url}'");
            if (hook.Format is not (AlertWebhook.Json or AlertWebhook.Slack))
                failures.Add($"Alerts:Webhooks:{i}:Format must be '{AlertWebhook.Json}' or '{AlertWebhook.Slack}'; got '{hook.Format}'");
        }
        if (options.Email is { } email)
        {
            if (string.IsNullOrWhiteSpace(email.SmtpHost)) failures.Add("Alerts:Email:SmtpHost is required when Alerts:Email is set");
            if (email.SmtpPort is < 1 or > 65535) failures.Add($"Alerts:Email:SmtpPort must be 1-65535; got {email.SmtpPort}");
            if (!Securities.Contains(email.Security)) failures.Add($"Alerts:Email:Security must be one of {string.Join(", ", Securities)}; got '{email.Security}'");
            if (!MimeKit.MailboxAddress.TryParse(email.From, out _)) failures.Add($"Alerts:Email:From must be an e-mail address; got '{email.From}'");
            if (email.To.Count == 0 || email.To.Any(to => !MimeKit.MailboxAddress.TryParse(to, out _)))
                failures.Add("Alerts:Email:To must list one or more e-mail addresses");
        }
        if (options.ForwardTimeout <= TimeSpan.Zero) failures.Add("Alerts:ForwardTimeout must be positive");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
