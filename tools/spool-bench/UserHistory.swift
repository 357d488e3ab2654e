import BenchSupport
import JSON
import SpoolCore

/// A reproducible history of user events, appended by the view, subscription and email
/// benchmarks: `users` users, `events` events in all, every user's first event a UserCreated.
///
/// Design: each user gets 1 + its share of the other `events − users` events, each drawn for a
/// user at random (≈ Poisson with mean events/users − 1). After UserCreated a user's events
/// are a mix of profile updates (45%; one in ten sets `attributes.style`), segment joins (25%),
/// leaves of a segment the user is in (15%) and email-preference changes (15%), over 20
/// segments of Zipf-like popularity (`seg-00` the most joined). An append carries up to
/// `perAppend` consecutive events of one user. Lane l of L owns the users u ≡ l (mod L) and
/// appends their histories round by round (every user's first chunk, then every user's
/// second, …), so one user's events keep their order while users interleave in the log. The
/// same seed gives the same appends in every run and every layer.
struct UserHistory: Sendable {
    let users: Int
    let events: Int
    let perAppend: Int
    /// The index of the first user, so a second history can add users after the first.
    let firstUser: Int
    /// Events of each user, UserCreated included.
    private let counts: [UInt16]
    private let seed: UInt64

    static let segments = (0..<20).map { "seg-" + ($0 < 10 ? "0" : "") + String($0) }
    /// Cumulative weights 1/(k+1) of the segments, scaled to 2^32.
    private static let segmentWeights: [UInt64] = {
        let weights = segments.indices.map { 1.0 / Double($0 + 1) }
        let total = weights.reduce(0, +)
        var sum = 0.0
        return weights.map { weight in
            sum += weight
            return UInt64(sum / total * 4_294_967_296)
        }
    }()
    private static let firstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken"]
    private static let lastNames = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson"]
    private static let cities = ["London", "Paris", "Berlin", "Lisbon", "Oslo", "Madrid", "Vienna", "Dublin"]
    private static let plans = ["free", "basic", "pro", "team"]
    private static let styles = ["classic", "minimal", "bold", "vintage", "sporty"]

    /// Throws `UsageError` when `events` is smaller than `users` (every user needs its UserCreated).
    init(users: Int, events: Int, perAppend: Int, firstUser: Int = 0, seed: UInt64 = 42) throws(UsageError) {
        guard events >= users else { throw UsageError("--events (\(events)) must be at least --users (\(users))") }
        self.users = users
        self.events = events
        self.perAppend = perAppend
        self.firstUser = firstUser
        self.seed = seed
        var counts = [UInt16](repeating: 1, count: users)
        var random = SplitMix64(seed: seed)
        var extra = events - users
        while extra > 0 {
            let user = Int(random.next() % UInt64(users))
            if counts[user] < UInt16.max {
                counts[user] += 1
                extra -= 1
            }
        }
        self.counts = counts
    }

    /// The id of user `index` of this history.
    func userID(_ index: Int) -> String { BenchEvents.sharedUserID(firstUser + index) }

    /// The appends of lane `lane` of `lanes`, in the order the lane makes them.
    func lane(_ lane: Int, of lanes: Int) -> Lane { Lane(history: self, lane: lane, lanes: lanes) }

    /// One lane's appends; `next()` builds them one at a time.
    struct Lane: IteratorProtocol {
        private let history: UserHistory
        private var owned: [Int]
        private var emitted: [UInt16]
        private var joined: [[Int]]
        private var marketing: [Bool]
        /// Local indices of users with events left in this round, and the next round.
        private var round: [Int]
        private var nextRound: [Int] = []
        private var position = 0
        private var random: SplitMix64

        fileprivate init(history: UserHistory, lane: Int, lanes: Int) {
            self.history = history
            owned = Array(stride(from: lane, to: history.users, by: max(lanes, 1)))
            emitted = Array(repeating: 0, count: owned.count)
            joined = Array(repeating: [], count: owned.count)
            marketing = Array(repeating: true, count: owned.count)
            round = Array(owned.indices)
            random = SplitMix64(seed: history.seed &+ UInt64(lane) &* 0x9E37_79B9_7F4A_7C15)
        }

        /// The lane's next append, or nil when its users' histories are all appended.
        mutating func next() -> AppendRequest? {
            if position == round.count {
                (round, nextRound, position) = (nextRound, [], 0)
                if round.isEmpty { return nil }
            }
            let local = round[position]
            position += 1
            let user = owned[local]
            let total = Int(history.counts[user])
            let count = min(history.perAppend, total - Int(emitted[local]))
            let userID = history.userID(user)
            var events: [ProposedEvent] = []
            events.reserveCapacity(count)
            for _ in 0..<count {
                events.append(event(local: local, userID: userID))
                emitted[local] += 1
            }
            if Int(emitted[local]) < total { nextRound.append(local) }
            return AppendRequest(stream: "user-" + userID, events: events)
        }

        private mutating func event(local: Int, userID: String) -> ProposedEvent {
            if emitted[local] == 0 { return created(local: local, userID: userID) }
            let roll = random.next() % 100
            if roll < 15 && !joined[local].isEmpty {
                let segment = joined[local].remove(at: Int(random.next() % UInt64(joined[local].count)))
                return segmentEvent("UserLeftSegment", userID, segment)
            }
            if roll < 40, let segment = pickSegment(excluding: joined[local]) {
                joined[local].append(segment)
                return segmentEvent("UserJoinedSegment", userID, segment)
            }
            if roll < 55 {
                marketing[local].toggle()
                return ProposedEvent(
                    type: "UserEmailPreferencesChanged", data: ["user_id": .string(userID), "marketing": .bool(marketing[local])])
            }
            var attributes: JSONObject = ["score": .int(Int64(random.next() % 1000))]
            switch random.next() % 10 {
            case 0: attributes["style"] = .string(pick(UserHistory.styles))
            case 1, 2, 3: attributes["plan"] = .string(pick(UserHistory.plans))
            default: attributes["city"] = .string(pick(UserHistory.cities))
            }
            var data: JSONObject = ["user_id": .string(userID), "attributes": .object(attributes)]
            if random.next() % 5 == 0 { data["first_name"] = .string(pick(UserHistory.firstNames)) }
            return ProposedEvent(type: "UserProfileUpdated", data: .object(data))
        }

        private mutating func created(local: Int, userID: String) -> ProposedEvent {
            var segments: [Int] = []
            for _ in 0..<(random.next() % 3) {
                if let segment = pickSegment(excluding: segments) { segments.append(segment) }
            }
            joined[local] = segments
            let data: JSONValue = [
                "user_id": .string(userID), "email": .string(userID + "@example.com"),
                "first_name": .string(pick(UserHistory.firstNames)), "last_name": .string(pick(UserHistory.lastNames)),
                "segments": .array(segments.sorted().map { .string(UserHistory.segments[$0]) }),
                "attributes": [
                    "plan": .string(pick(UserHistory.plans)), "city": .string(pick(UserHistory.cities)),
                    "company": "Analytical Engines Ltd", "referrer": "newsletter-2026-11", "score": .int(Int64(random.next() % 1000)),
                ],
            ]
            return ProposedEvent(type: "UserCreated", data: data)
        }

        private func segmentEvent(_ type: String, _ userID: String, _ segment: Int) -> ProposedEvent {
            ProposedEvent(type: type, data: ["user_id": .string(userID), "segment": .string(UserHistory.segments[segment])])
        }

        /// A segment by popularity that is not in `taken`; nil after a few misses.
        private mutating func pickSegment(excluding taken: [Int]) -> Int? {
            for _ in 0..<4 {
                let point = random.next() >> 32
                let segment = UserHistory.segmentWeights.firstIndex { point < $0 } ?? UserHistory.segments.count - 1
                if !taken.contains(segment) { return segment }
            }
            return nil
        }

        private mutating func pick(_ choices: [String]) -> String { choices[Int(random.next() % UInt64(choices.count))] }
    }
}
