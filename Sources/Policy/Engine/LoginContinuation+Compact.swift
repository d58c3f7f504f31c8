/// A compact binary form of a `LoginContinuation`, small enough to travel sealed inside a RADIUS
/// State attribute (253 octets with the seal's own overhead): length-prefixed fields, no names.
/// `compactEncoded()` returns nil when a field does not fit its length prefix; `init?(compact:)`
/// refuses anything but exactly one well-formed value.
extension LoginContinuation {
    public func compactEncoded() -> [UInt8]? {
        var writer = CompactWriter()
        guard writer.string(username) else { return nil }
        switch stage {
        case .upstreamChallenge(let state):
            writer.byte(0)
            guard writer.bytes(state) else { return nil }
        case .secondFactor(let menu):
            writer.byte(1)
            guard menu.count <= 255 else { return nil }
            writer.byte(UInt8(menu.count))
            for entry in menu {
                guard writer.string(entry.factor), writer.string(entry.device), writer.string(entry.label) else { return nil }
            }
        case .enrollment:
            writer.byte(2)
        case .webPrompt(let applicationCookie):
            writer.byte(3)
            guard writer.string(applicationCookie) else { return nil }
        }
        if let distinguishedName {
            writer.byte(1)
            guard writer.string(distinguishedName) else { return nil }
        } else {
            writer.byte(0)
        }
        guard passThrough.count <= 255, (0...255).contains(attemptsLeft) else { return nil }
        writer.byte(UInt8(passThrough.count))
        for attribute in passThrough {
            writer.byte(attribute.type)
            guard writer.bytes(attribute.value) else { return nil }
        }
        writer.byte(UInt8(attemptsLeft))
        return writer.output
    }

    public init?(compact: [UInt8]) {
        var reader = CompactReader(compact)
        guard let username = reader.string(), let tag = reader.byte() else { return nil }
        let stage: Stage
        switch tag {
        case 0:
            guard let state = reader.bytes() else { return nil }
            stage = .upstreamChallenge(state: state)
        case 1:
            guard let count = reader.byte() else { return nil }
            var menu: [MenuEntry] = []
            for _ in 0..<count {
                guard let factor = reader.string(), let device = reader.string(), let label = reader.string() else { return nil }
                menu.append(MenuEntry(factor: factor, device: device, label: label))
            }
            stage = .secondFactor(menu: menu)
        case 2:
            stage = .enrollment
        case 3:
            guard let cookie = reader.string() else { return nil }
            stage = .webPrompt(applicationCookie: cookie)
        default:
            return nil
        }
        var distinguishedName: String?
        switch reader.byte() {
        case 0: break
        case 1:
            guard let name = reader.string() else { return nil }
            distinguishedName = name
        default: return nil
        }
        guard let count = reader.byte() else { return nil }
        var passThrough: [StoredAttribute] = []
        for _ in 0..<count {
            guard let type = reader.byte(), let value = reader.bytes() else { return nil }
            passThrough.append(StoredAttribute(type: type, value: value))
        }
        guard let attemptsLeft = reader.byte(), reader.isAtEnd else { return nil }
        self.init(username: username, stage: stage, distinguishedName: distinguishedName, passThrough: passThrough,
                  attemptsLeft: Int(attemptsLeft))
    }
}

/// Length-prefixed fields: one octet of length (at most 255), then the octets.
private struct CompactWriter {
    var output: [UInt8] = []

    mutating func byte(_ value: UInt8) { output.append(value) }

    mutating func bytes(_ value: [UInt8]) -> Bool {
        guard value.count <= 255 else { return false }
        output.append(UInt8(value.count))
        output.append(contentsOf: value)
        return true
    }

    mutating func string(_ value: String) -> Bool { bytes(Array(value.utf8)) }
}

private struct CompactReader {
    private let input: [UInt8]
    private var index = 0

    init(_ input: [UInt8]) { self.input = input }

    var isAtEnd: Bool { index == input.count }

    mutating func byte() -> UInt8? {
        guard index < input.count else { return nil }
        defer { index += 1 }
        return input[index]
    }

    mutating func bytes() -> [UInt8]? {
        guard let length = byte(), input.count - index >= Int(length) else { return nil }
        defer { index += Int(length) }
        return Array(input[index..<index + Int(length)])
    }

    mutating func string() -> String? {
        guard let value = bytes() else { return nil }
        return String(validating: value, as: UTF8.self)
    }
}
