namespace KafkaOperator.Protocol.Records;

/// <summary>
/// A small lock-free pool of native codec contexts, so a decompression per batch does not pay for allocating the
/// codec's state (zstd's is over 100 KB). Contexts beyond the pool's size are freed on return.
/// </summary>
internal sealed class NativeContextPool(Func<IntPtr> create, Action<IntPtr> free)
{
    private readonly IntPtr[] _slots = new IntPtr[Math.Max(4, Environment.ProcessorCount * 2)];

    public IntPtr Rent()
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            var context = Interlocked.Exchange(ref _slots[i], IntPtr.Zero);
            if (context != IntPtr.Zero)
            {
                return context;
            }
        }

        return create();
    }

    public void Return(IntPtr context)
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _slots[i], context, IntPtr.Zero) == IntPtr.Zero)
            {
                return;
            }
        }

        free(context);
    }
}
