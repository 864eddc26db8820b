using System.Collections.Concurrent;
using System.Reflection;

namespace KafkaOperator.Protocol.Codec;

/// <summary>
/// Reads, writes and sizes any [ApiMessage] class at any version of its range. Plans are built on first use of a
/// (type, version) and cached, so start-up does no work and later calls only walk precompiled field codecs.
/// </summary>
public static partial class MessageCodec
{
    public static T Read<T>(ref KafkaReader reader, short version)
        where T : class =>
        (T)PlanSet<T>.Instance.Get(version).Read(ref reader);

    public static object Read(Type messageType, ref KafkaReader reader, short version)
    {
        ArgumentNullException.ThrowIfNull(messageType);
        return MessagePlanSet.For(messageType).Get(version).Read(ref reader);
    }

    public static void Write<T>(ref KafkaWriter writer, T message, short version)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(message);
        PlanFor(message, version).Write(ref writer, message);
    }

    public static int ComputeSize<T>(T message, short version)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(message);
        return PlanFor(message, version).Size(message);
    }

    private static StructPlan PlanFor<T>(T message, short version)
        where T : class =>
        typeof(T).IsSealed ? PlanSet<T>.Instance.Get(version) : MessagePlanSet.For(message.GetType()).Get(version);

    private static class PlanSet<T>
    {
        public static readonly MessagePlanSet Instance = MessagePlanSet.For(typeof(T));
    }
}

/// <summary>The plans of one message type, indexed by version.</summary>
internal sealed class MessagePlanSet
{
    private static readonly ConcurrentDictionary<Type, MessagePlanSet> Cache = new();
    private readonly Type _type;
    private readonly ApiMessageAttribute _attribute;
    private readonly StructPlan?[] _plans;

    private MessagePlanSet(Type type)
    {
        _type = type;
        _attribute = type.GetCustomAttribute<ApiMessageAttribute>()
            ?? throw new InvalidOperationException($"{type.Name} has no [ApiMessage] attribute.");
        _plans = new StructPlan?[_attribute.MaxVersion + 1];
    }

    public static MessagePlanSet For(Type type) => Cache.GetOrAdd(type, t => new MessagePlanSet(t));

    public StructPlan Get(short version)
    {
        if (version < _attribute.MinVersion || version > _attribute.MaxVersion)
        {
            throw new KafkaProtocolException(
                $"{_type.Name} does not support version {version} (supported: {_attribute.MinVersion}-{_attribute.MaxVersion}).");
        }

        return Volatile.Read(ref _plans[version])
            ?? (_plans[version] = StructPlan.For(_type, version, version >= _attribute.FlexibleFrom));
    }
}
