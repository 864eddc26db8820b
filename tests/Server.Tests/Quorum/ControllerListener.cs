using System.Buffers;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Quorum;
using KafkaOperator.Quorum.Transport;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Handlers;
using KafkaOperator.Server.Network;

namespace KafkaOperator.Server.Tests.Quorum;

/// <summary>A CONTROLLER listener as a quorum node serves it (the broker's network layer with the quorum's handlers), around a handler of the test's.</summary>
internal static class ControllerListener
{
    public static SocketServer Start(IRaftRequestHandler handler, int nodeId = 1, int port = 0)
    {
        var apiVersions = new ApiVersionsHandler();
        var dispatcher = new RequestDispatcher([apiVersions, .. QuorumRpcHandlers.Create(nodeId, handler, () => new LeaderAndEpoch(-1, -1))]);
        apiVersions.Attach(dispatcher);
        var server = new SocketServer([new Listener("CONTROLLER", "127.0.0.1", port)], 100 * 1024 * 1024, dispatcher);
        server.Start();
        return server;
    }

    public static int Port(this SocketServer server) => server.BoundListeners[0].Port;

    /// <summary>A Kafka response frame (size prefix included) answering <paramref name="request"/> with correlation id <paramref name="correlationId"/>.</summary>
    public static byte[] ResponseFrame(int correlationId, RaftRequest request, RaftResponse response)
    {
        var kafka = KafkaRaftWire.ToKafka(request, 1);
        var header = new RequestHeader { RequestApiKey = (short)kafka.ApiKey, RequestApiVersion = kafka.Version, CorrelationId = correlationId };
        var output = new ArrayBufferWriter<byte>();
        MessageCodec.WriteResponse(output, header, KafkaRaftWire.ToKafka(response));
        return output.WrittenSpan.ToArray();
    }
}
