namespace AiPlatform.Messages;

/// <summary>Broker settings under <c>RabbitMq:</c>: how every process of the fleet reaches the bus.</summary>
public sealed class RabbitMqOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public ushort Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";
    public string Username { get; set; } = "";
    public string Password { get; set; } = "";
    public string? ManagementUrl { get; set; }
}
