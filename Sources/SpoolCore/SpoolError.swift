import JSON

/// An error a client can act on: a stable code, a sentence, and optional details.
///
/// The codes are listed once here and once in `schemas/protocol/error.json`; a test keeps the
/// two equal. An internal failure is reported as `.internal` with a generic message; its
/// detail goes to the server log, never to the wire.
public struct SpoolError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Code
    public let message: String
    public let details: JSONObject?

    public init(_ code: Code, _ message: String, details: JSONObject? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Stable error codes, as written on the wire.
    public enum Code: String, Sendable, CaseIterable {
        /// The line is not valid JSON (or not UTF-8).
        case badJSON = "bad_json"
        /// The `op` is not one the server knows.
        case unknownOp = "unknown_op"
        /// A field is missing, of the wrong type or out of range; the message names it.
        case badRequest = "bad_request"
        /// The line is longer than the server's limit; the rest of it was discarded.
        case lineTooLong = "line_too_long"
        /// The stream's version is not the one the append expected.
        case wrongExpectedVersion = "wrong_expected_version"
        /// The stream, user, subscription or seq does not exist (at the time asked).
        case notFound = "not_found"
        /// An event's type is unknown or its data fails the type's schema; nothing was written.
        case invalidEvent = "invalid_event"
        /// An event id was already used for a different event.
        case duplicateEventID = "duplicate_event_id"
        /// A subscription or other named object already exists with other settings.
        case alreadyExists = "already_exists"
        /// The connection has not authenticated, or its role does not allow the op.
        case unauthorized = "unauthorized"
        /// The connection sent requests faster than its limit; retry after `retry_after_ms`.
        case rateLimited = "rate_limited"
        /// The disk is full: nothing more can be written until space is freed.
        case storageFull = "storage_full"
        /// The server is shutting down and takes no new work.
        case shuttingDown = "shutting_down"
        /// Something failed inside the server; the server log has the details.
        case `internal` = "internal"
    }

    public static func badRequest(_ message: String) -> SpoolError { SpoolError(.badRequest, message) }
    public static func notFound(_ message: String) -> SpoolError { SpoolError(.notFound, message) }
    public static func invalidEvent(_ message: String) -> SpoolError { SpoolError(.invalidEvent, message) }
}
