"""LocalStack plugins for Buynest: a host-process Lambda runtime executor and moto-backed DynamoDB."""
