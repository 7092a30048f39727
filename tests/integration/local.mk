# owned by the integration-test owner
