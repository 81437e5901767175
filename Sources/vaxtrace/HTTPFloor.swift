import ArgumentParser
import Foundation
import Hummingbird
import Logging

/// `vaxtrace bench http-floor`: a bare Hummingbird server with one route, `POST /api/v1/checkins`, that
/// reads the body and answers 201 with a fixed JSON of the size of a check-in's answer: no middleware,
/// no OpenAPI coding, no database. `scripts/bench-checkins.sh` runs the same wrk script against it
/// after the real check-ins, so the report shows what this machine's HTTP stack alone allows with the
/// load generator on the same cores (issue #6's target is 10,000 check-ins/s).
struct HTTPFloor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-floor",
        abstract: "Serve a bare HTTP route (no middleware, no database) for wrk, until SIGTERM or SIGINT."
    )

    @Option(help: "Port on 127.0.0.1.")
    var port = 8099

    func run() async throws {
        let router = Router()
        let answer = ByteBuffer(
            string: #"{"id":"019a0000-0000-7000-8000-000000000000","venueId":"019a0000-0000-7000-8000-000000000001","#
                + #""arrivedAt":"2026-11-28T12:00:00Z","stayUntil":"2026-11-28T13:00:00Z","merged":false}"#
        )
        router.post("/api/v1/checkins") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 4096)
            return Response(
                status: .created,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: answer)
            )
        }
        var logger = Logger(label: "vaxtrace.http-floor")
        logger.logLevel = .error
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            logger: logger
        )
        try await app.runService()
    }
}
