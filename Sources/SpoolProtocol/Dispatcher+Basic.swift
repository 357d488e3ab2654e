import JSON
import SpoolCore

extension Dispatcher {
    static let basicOperations: [Operation] = [
        Operation("ping", "answers {\"pong\":true}: is the server there?", access: .authenticated) { _, request, writer in
            try request.fields.finish()
            writer.key("pong")
            writer.writeBool(true)
        },
        Operation("help", "lists the ops with one line each", access: .authenticated) { _, request, writer in
            try request.fields.finish()
            writer.key("ops")
            writer.beginObject()
            for operation in Dispatcher.operations {
                writer.key(operation.name)
                writer.writeString(operation.summary)
            }
            writer.endObject()
        },
    ]
}
