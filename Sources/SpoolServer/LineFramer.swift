import NIOCore

/// Cuts a connection's input into lines (`LineFrameDecoder`) and passes the frames of one
/// socket read on together, as one array.
///
/// Design: the connection's task takes its input from an async sequence, and each element
/// costs it a trip through that sequence (a lock, a state machine, a check of its executor);
/// a pipelining client's read holds dozens of lines, so the frames of a read travel together.
/// The frames decoded during a read go out on `channelReadComplete`, and whatever is still
/// held, with the unterminated last line, at the end of input (`inputClosed`,
/// `channelInactive`); held frames go out before an error too, so the last lines of a stream
/// are never lost. Order is kept. Holds no more than one read's frames, and of a partial line
/// no more than the decoder allows. Frames are slices of the bytes read, not copies.
/// Rejected: NIO's `ByteToMessageHandler` in front of a batching handler (its generic
/// machinery, and a pass through the pipeline per line, were 5% of the event loop's time at 64
/// pipelining connections).
final class LineFramer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = [Frame]

    private var decoder: LineFrameDecoder
    /// Input not yet cut into frames: the start of a line whose `\n` has not come.
    private var unframed: ByteBuffer? = nil
    private var held: [Frame] = []

    init(maxLineBytes: Int) { decoder = LineFrameDecoder(maxLineBytes: maxLineBytes) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if var buffer = unframed {
            unframed = nil  // so that `buffer` is the only reference while it grows
            buffer.writeBuffer(&input)
            input = buffer
        }
        // The decoder and the frames are worked on as locals: every access to a class's stored
        // property is checked for exclusivity at run time, twice per line here otherwise.
        var (decoder, frames) = (self.decoder, [Frame]())
        swap(&frames, &held)
        while let frame = decoder.nextFrame(&input) {
            if let frame { frames.append(frame) }
        }
        (self.decoder, held) = (decoder, frames)
        if input.readableBytes > 0 { unframed = input }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        passOn(context)
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { endOfInput() }
        passOn(context)
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        passOn(context)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        endOfInput()
        passOn(context)
        context.fireChannelInactive()
    }

    /// Holds the unterminated last line, if any, as a frame.
    private func endOfInput() {
        guard var buffer = unframed else { return }
        unframed = nil
        if let last = decoder.lastFrame(&buffer) { held.append(last) }
    }

    /// Fires the held frames, if any, as one array.
    private func passOn(_ context: ChannelHandlerContext) {
        guard !held.isEmpty else { return }
        var frames: [Frame] = []
        swap(&frames, &held)  // handed on whole; `held` starts afresh
        context.fireChannelRead(wrapInboundOut(frames))
    }
}
