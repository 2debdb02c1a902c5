"""DynamoDB through PynamoDB: the record models are the one definition of every table."""
