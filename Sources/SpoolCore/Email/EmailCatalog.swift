import Foundation
import JSON
import Mustache

/// The rules and compiled templates the email projector renders with.
///
/// Loaded once at start. A rules file or template that does not parse is refused then, with
/// the file, the line and the reason, so a bad deployment fails loudly instead of dropping
/// emails one by one.
public struct EmailCatalog: Sendable {
    public struct Template: Sendable {
        public var name: String
        var subject: MustacheTemplate
        var text: MustacheTemplate
        var html: MustacheTemplate?
    }

    public let rules: [EmailRule]
    public let templates: [String: Template]

    /// The shipped defaults, overridden by `directory` when given: `directory/rules.json`
    /// replaces the rules, `directory/templates/<name>.{subject,text,html}.mustache` adds or
    /// replaces templates. Throws `bad_request` naming the file, line and reason.
    public init(directory: String? = nil) throws(SpoolError) {
        var sources: [String: (subject: String, text: String, html: String?, file: String)] = [:]
        for (name, template) in DefaultEmails.templates {
            sources[name] = (template.subject, template.text, template.html, "built-in template \(name)")
        }
        var rulesText = DefaultEmails.rules
        var rulesFile = "built-in rules"
        if let directory {
            let rulesPath = directory + "/rules.json"
            if let text = try? String(contentsOfFile: rulesPath, encoding: .utf8) {
                rulesText = text
                rulesFile = rulesPath
            }
            let templateDirectory = directory + "/templates"
            let files = (try? FileManager.default.contentsOfDirectory(atPath: templateDirectory)) ?? []
            for file in files.sorted() where file.hasSuffix(".mustache") {
                let parts = file.dropLast(".mustache".count).split(separator: ".")
                guard parts.count == 2, let body = try? String(contentsOfFile: "\(templateDirectory)/\(file)", encoding: .utf8) else {
                    throw .badRequest("\(templateDirectory)/\(file): expected <name>.subject|text|html.mustache")
                }
                let name = String(parts[0])
                var source = sources[name] ?? ("", "", nil, "")
                switch parts[1] {
                case "subject": source.subject = body
                case "text": source.text = body
                case "html": source.html = body
                default: throw .badRequest("\(templateDirectory)/\(file): the part must be subject, text or html")
                }
                source.file = "\(templateDirectory)/\(name)"
                sources[name] = source
            }
        }
        var templates: [String: Template] = [:]
        for (name, source) in sources {
            let html: MustacheTemplate? =
                if let body = source.html { try Self.compile(body, plain: false, file: source.file + " (html)") } else { nil }
            templates[name] = Template(
                name: name,
                subject: try Self.compile(source.subject, plain: true, file: source.file + " (subject)"),
                text: try Self.compile(source.text, plain: true, file: source.file + " (text)"), html: html)
        }
        self.templates = templates
        self.rules = try Self.parseRules(rulesText, file: rulesFile, templates: templates)
    }

    private static func compile(_ source: String, plain: Bool, file: String) throws(SpoolError) -> MustacheTemplate {
        do {
            // Subject and text are plain text: no HTML escaping of the values put into them.
            return try MustacheTemplate(string: plain ? "{{% CONTENT_TYPE: TEXT}}" + source : source)
        } catch let error as MustacheTemplate.ParserError {
            throw .badRequest("\(file): line \(error.context.lineNumber): \(error.error)")
        } catch {
            throw .badRequest("\(file): \(error)")
        }
    }

    private static func parseRules(_ text: String, file: String, templates: [String: Template]) throws(SpoolError) -> [EmailRule] {
        let json: JSONValue
        do {
            json = try JSONParser.parse(text)
        } catch {
            let line = text.utf8.prefix(error.offset).filter { $0 == UInt8(ascii: "\n") }.count + 1
            throw .badRequest("\(file): line \(line): \(error.reason)")
        }
        guard let list = json["rules"]?.arrayValue else { throw .badRequest("\(file): expected {\"rules\": [...]}") }
        var rules: [EmailRule] = []
        for (index, item) in list.enumerated() {
            let rule: EmailRule
            let line = Self.line(ofRule: index, in: text)
            do {
                rule = try EmailRule(json: item, index: index)
            } catch {
                throw .badRequest("\(file): line \(line): \(error.message)")
            }
            guard templates[rule.template] != nil else {
                throw .badRequest("\(file): line \(line): rules[\(index)].template: no template named \(rule.template)")
            }
            rules.append(rule)
        }
        return rules
    }

    /// The line on which element `index` of the `rules` array starts, for error messages; the
    /// text is known to be valid JSON. 1 when it cannot be found.
    static func line(ofRule index: Int, in text: String) -> Int {
        let bytes = Array(text.utf8)
        guard let key = bytes.firstRange(of: Array(#""rules""#.utf8)) else { return 1 }
        var position = key.upperBound
        var depth = 0
        var inString = false
        var escaped = false
        var element = -1
        var line = 1 + bytes[..<position].filter { $0 == UInt8(ascii: "\n") }.count
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\n") { line += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth == 2 {
                    element += 1
                    if element == index { return line }
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return 1 }
            default: break
            }
        }
        return 1
    }
}
