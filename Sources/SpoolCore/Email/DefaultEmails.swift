/// The rules and templates Spool ships: a welcome for new users, a note when a user joins a
/// segment, one when their style preference changes, and a confirmation on re-subscribing.
/// A configured directory replaces the rules and overrides templates by name.
enum DefaultEmails {
    static let rules = """
        {"rules": [
          {"name": "welcome", "on": "UserCreated", "template": "welcome", "category": "transactional"},
          {"name": "joined-segment", "on": "UserJoinedSegment", "template": "joined_segment", "category": "marketing"},
          {"name": "style-updated", "on": "UserProfileUpdated", "when": {"changed": "attributes.style"},
           "template": "style_updated", "category": "marketing"},
          {"name": "resubscribed", "on": "UserEmailPreferencesChanged", "when": {"data": {"marketing": true}},
           "template": "resubscribed", "category": "transactional"}
        ]}
        """

    /// name → (subject, text, html)
    static let templates: [String: (subject: String, text: String, html: String?)] = [
        "welcome": (
            "Welcome{{#user.first_name}}, {{user.first_name}}{{/user.first_name}}!",
            """
            Hi {{#user.first_name}}{{user.first_name}}{{/user.first_name}}{{^user.first_name}}there{{/user.first_name}},

            Thanks for joining us. Your account {{user.email}} is ready.
            """,
            "<p>Hi {{#user.first_name}}{{user.first_name}}{{/user.first_name}}{{^user.first_name}}there{{/user.first_name}},</p><p>Thanks for joining us.</p>"
        ),
        "joined_segment": (
            "You're now part of {{segment}}",
            """
            Hi {{#user.first_name}}{{user.first_name}}{{/user.first_name}}{{^user.first_name}}there{{/user.first_name}},

            You have joined {{segment}}. Watch this space for what comes with it.
            """,
            nil
        ),
        "style_updated": (
            "Picked for your {{user.attributes.style}} style",
            """
            Hi {{#user.first_name}}{{user.first_name}}{{/user.first_name}}{{^user.first_name}}there{{/user.first_name}},

            You told us your style is {{user.attributes.style}}. We'll pick what we show you with that in mind.
            """,
            nil
        ),
        "resubscribed": (
            "You're subscribed again",
            """
            Hi {{#user.first_name}}{{user.first_name}}{{/user.first_name}}{{^user.first_name}}there{{/user.first_name}},

            You will receive our news at {{user.email}} again. You can opt out at any time.
            """,
            nil
        ),
    ]
}
