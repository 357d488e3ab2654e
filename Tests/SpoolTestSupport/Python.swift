import Foundation

/// Runs `python3 -c script arguments…`; returns its exit status and standard output.
public func runPython(_ script: String, arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Connects to `port` on loopback, sends nothing, and returns every line the server writes
/// until it closes the connection (a socket timeout of 10 s fails the script: status 1).
public func linesUntilClosed(port: Int) throws -> (status: Int32, lines: [String]) {
    let script = """
        import socket, sys
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        s.settimeout(10)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk: break
            data += chunk
        sys.stdout.write(data.decode())
        """
    let result = try runPython(script, arguments: [String(port)])
    return (result.status, result.output.split(separator: "\n").map(String.init))
}
