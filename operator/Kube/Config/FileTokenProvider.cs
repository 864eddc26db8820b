namespace KafkaOperator.Kube.Config;

/// <summary>
/// A bearer token read from a file that the kubelet rotates (projected service account tokens): the file is re-read
/// when its modification time changes, and at least every <see cref="MaxAge"/> in case a rotation kept the time.
/// A missing or unreadable file after a first successful read keeps the last token rather than failing requests.
/// </summary>
public sealed class FileTokenProvider
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private string? _token;
    private DateTime _modified;
    private DateTimeOffset _readAt;

    public FileTokenProvider(string path, TimeProvider? time = null, TimeSpan? maxAge = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        _time = time ?? TimeProvider.System;
        MaxAge = maxAge ?? TimeSpan.FromMinutes(1);
    }

    public string Path { get; }

    public TimeSpan MaxAge { get; }

    public string GetToken()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            DateTime modified;
            try
            {
                modified = File.GetLastWriteTimeUtc(Path);
            }
            catch (IOException) when (_token is not null)
            {
                return _token;
            }
            if (_token is null || modified != _modified || now - _readAt >= MaxAge)
            {
                try
                {
                    _token = File.ReadAllText(Path).Trim();
                    _modified = modified;
                    _readAt = now;
                }
                catch (Exception e) when (_token is not null && e is IOException or UnauthorizedAccessException)
                {
                    // Mid-rotation: keep the previous token until the new file is readable.
                }
            }
            return _token;
        }
    }

    public ValueTask<string?> GetTokenAsync(CancellationToken ct = default) => ValueTask.FromResult<string?>(GetToken());
}
