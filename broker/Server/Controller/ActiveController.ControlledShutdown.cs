namespace KafkaOperator.Server.Controller;

/// <summary>
/// Controlled shutdown in one commit, as KRaft's controller answers a BrokerHeartbeat with WantShutDown: the
/// broker proposes its own fence (ShuttingDown), and the quorum leader, before appending it, replaces it with a
/// batch of that fence and this controller's moves of the broker's leaderships and ISR memberships. The moves are
/// decided here, from the latest published image, by the same rule as a fencing; a decision made on a state that
/// changed since is refused at apply time as a whole (partition epochs), and the broker proposes again.
/// </summary>
public sealed partial class ActiveController
{
    private static ReadOnlySpan<byte> FencePrefix => "{\"type\":\"fenceBroker\""u8;

    /// <summary>The quorum leader's proposal filter: a shutting-down broker's fence becomes the fence with its moves.</summary>
    public byte[] ExpandProposal(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (!payload.AsSpan().StartsWith(FencePrefix))
            return payload;
        if (MetadataRecordCodec.Decode(payload) is not FenceBrokerRecord { ShuttingDown: true } fence)
            return payload;
        var received = Log.Micros();
        var image = _store.Image;
        var machine = new MetadataStateMachine(image);
        if (machine.Apply(fence, -1).Error != Protocol.ErrorCode.None)
            return payload; // a stale epoch: let the record itself fail as it would have
        var after = machine.ToImage(image.ControllerId);
        var moves = PartitionElection.DecideAll(after, UncleanAllowed);
        if (moves.Count == 0)
        {
            Log.Info($"controller: controlled shutdown of broker {fence.BrokerId}; no partition changes leader or ISR");
            return payload;
        }
        LogUnclean(moves, after);
        var decided = Log.Micros();
        var batch = _store.Encode(new BatchRecord(PartitionChanges.Compact([fence, .. moves])));
        Log.Info($"controller: controlled shutdown of broker {fence.BrokerId}; {moves.Count} partition(s) change leader or ISR ({batch.Length} bytes; request received t={received}, decided t={decided}, encoded t={Log.Micros()})");
        return batch;
    }
}
