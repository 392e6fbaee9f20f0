"""A local stand-in for Alibaba Cloud SMS (Dysmsapi 2017-05-25), for offline runs and tests."""
