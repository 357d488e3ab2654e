import NIOCore

/// Gathers the frames one socket read produced and passes them on as one array.
///
/// Design: the connection's task takes its input from an async sequence, and each element
/// costs it a trip through that sequence (a lock, a state machine, a check of its executor);
/// a pipelining client's read holds dozens of lines, so the frames of a read travel together.
/// The frames decoded during a read go out on `channelReadComplete`, and whatever is still
/// held before the end of input (`inputClosed`, `channelInactive`) or an error, so the last
/// lines of a stream are never lost. Order is kept. Holds no more than one read's frames.
final class FrameBatcher: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias InboundOut = [Frame]

    private var held: [Frame] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        held.append(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        passOn(context)
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        passOn(context)
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        passOn(context)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        passOn(context)
        context.fireChannelInactive()
    }

    /// Fires the held frames, if any, as one array.
    private func passOn(_ context: ChannelHandlerContext) {
        guard !held.isEmpty else { return }
        var frames: [Frame] = []
        swap(&frames, &held)  // handed on whole; `held` starts afresh
        context.fireChannelRead(wrapInboundOut(frames))
    }
}
