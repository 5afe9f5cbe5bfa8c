"""Genre arrangers: each turns a random stream into a dry mix of one song."""
