"""`firebreak aws` and `firebreak whoami` against moto: each protocol end to end, with boto3
checking what firebreak did and firebreak reading what boto3 made."""
import json


def aws(firebreak, service, operation, params=None, *extra):
    args = ["aws", service, operation]
    if params is not None:
        args += ["--input", json.dumps(params)]
    return firebreak.json(*args, *extra)


def test_whoami_prints_the_caller_identity(firebreak, fresh_moto):
    out = firebreak.json("--output", "json", "whoami")
    assert out["Account"] == "123456789012"
    assert out["Arn"].startswith("arn:aws:")
    table = firebreak.run("whoami", check=True).stdout
    assert "123456789012" in table and "Arn" in table


# ---- ec2 protocol ----

def test_ec2_describe_tag_and_modify_instances(firebreak, fresh_moto, boto):
    ec2 = boto("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    described = aws(firebreak, "ec2", "DescribeInstances", {"InstanceIds": [instance]})
    found = described["Reservations"][0]["Instances"][0]
    assert found["InstanceId"] == instance
    assert found["State"]["Name"] == "running"
    assert found["LaunchTime"].endswith("+00:00")  # timestamps printed as boto3 prints them

    aws(firebreak, "ec2", "CreateTags", {"Resources": [instance], "Tags": [{"Key": "case", "Value": "fb-1"}]})
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [instance]}])["Tags"]
    assert {"Key": "case", "Value": "fb-1"} in [{"Key": t["Key"], "Value": t["Value"]} for t in tags]

    aws(firebreak, "ec2", "ModifyInstanceAttribute",
        {"InstanceId": instance, "DisableApiTermination": {"Value": True}})
    attribute = ec2.describe_instance_attribute(InstanceId=instance, Attribute="disableApiTermination")
    assert attribute["DisableApiTermination"]["Value"] is True


def test_ec2_pagination_follows_next_token_past_one_page(firebreak, fresh_moto, boto):
    ec2 = boto("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=12, MaxCount=12)
    out = aws(firebreak, "ec2", "DescribeInstances", {"MaxResults": 5}, "--paginate")
    ids = [i["InstanceId"] for r in out["Reservations"] for i in r["Instances"]]
    assert len(ids) == 12 and len(set(ids)) == 12


def test_ec2_error_is_surfaced_with_code_and_message(firebreak, fresh_moto):
    result = firebreak.run("aws", "ec2", "DescribeInstances", "--input",
                           json.dumps({"InstanceIds": ["i-0123456789abcdef0"]}))
    assert result.returncode == 1
    assert "InvalidInstanceID.NotFound" in result.stderr
    assert "i-0123456789abcdef0" in result.stderr
    assert result.stderr.count("\n") == 1, "one clear line, no stack dump"


# ---- query protocol ----

def test_query_iam_users_paginated_and_created(firebreak, fresh_moto, boto):
    iam = boto("iam")
    for n in range(23):
        iam.create_user(UserName=f"user-{n:02}")
    out = aws(firebreak, "iam", "ListUsers", {"MaxItems": 10}, "--paginate")
    assert sorted(u["UserName"] for u in out["Users"]) == [f"user-{n:02}" for n in range(23)]

    aws(firebreak, "iam", "CreateUser", {"UserName": "made-by-firebreak", "Tags": [{"Key": "k", "Value": "v"}]})
    assert iam.get_user(UserName="made-by-firebreak")["User"]["UserName"] == "made-by-firebreak"

    key = boto("iam").create_access_key(UserName="user-00")["AccessKey"]["AccessKeyId"]
    aws(firebreak, "iam", "UpdateAccessKey", {"UserName": "user-00", "AccessKeyId": key, "Status": "Inactive"})
    statuses = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="user-00")["AccessKeyMetadata"]}
    assert statuses[key] == "Inactive"


def test_query_error_names_the_code(firebreak, fresh_moto):
    result = firebreak.run("aws", "iam", "GetUser", "--input", '{"UserName": "nobody"}')
    assert result.returncode == 1
    assert "NoSuchEntity" in result.stderr


# ---- json protocol ----

def test_json_ssm_secrets_and_dynamodb(firebreak, fresh_moto, boto):
    aws(firebreak, "ssm", "PutParameter", {"Name": "/fb/test", "Value": "v1", "Type": "String"})
    assert boto("ssm").get_parameter(Name="/fb/test")["Parameter"]["Value"] == "v1"
    got = aws(firebreak, "ssm", "GetParameter", {"Name": "/fb/test"})
    assert got["Parameter"]["Value"] == "v1"
    assert got["Parameter"]["LastModifiedDate"].endswith("+00:00")

    created = aws(firebreak, "secretsmanager", "CreateSecret", {"Name": "fb-secret", "SecretString": "s3cr3t"})
    assert created["Name"] == "fb-secret"
    assert boto("secretsmanager").get_secret_value(SecretId="fb-secret")["SecretString"] == "s3cr3t"

    aws(firebreak, "dynamodb", "CreateTable", {
        "TableName": "cases", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]})
    aws(firebreak, "dynamodb", "PutItem", {"TableName": "cases",
                                            "Item": {"id": {"S": "c1"}, "rows": {"L": [{"N": "1"}, {"M": {"a": {"BOOL": True}}}]}}})
    item = boto("dynamodb").get_item(TableName="cases", Key={"id": {"S": "c1"}})["Item"]
    assert item["rows"]["L"][1]["M"]["a"]["BOOL"] is True


def test_json_error_names_the_code(firebreak, fresh_moto):
    result = firebreak.run("aws", "ssm", "GetParameter", "--input", '{"Name": "/missing"}')
    assert result.returncode == 1
    assert "ParameterNotFound" in result.stderr


# ---- rest-json protocol ----

def test_rest_json_guardduty_and_securityhub(firebreak, fresh_moto, boto):
    detector = aws(firebreak, "guardduty", "CreateDetector", {"Enable": True})["DetectorId"]
    assert detector in boto("guardduty").list_detectors()["DetectorIds"]
    got = aws(firebreak, "guardduty", "GetDetector", {"DetectorId": detector})
    assert got["Status"] == "ENABLED"

    aws(firebreak, "securityhub", "EnableSecurityHub", {})
    finding = {
        "SchemaVersion": "2018-10-08", "Id": "finding-1", "ProductArn":
            "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
        "GeneratorId": "firebreak-test", "AwsAccountId": "123456789012",
        "Types": ["TTPs/Initial Access"], "CreatedAt": "2026-12-01T00:00:00Z", "UpdatedAt": "2026-12-01T00:00:00Z",
        "Severity": {"Label": "HIGH"}, "Title": "test", "Description": "test",
        "Resources": [{"Type": "AwsEc2Instance", "Id": "i-0123456789abcdef0"}]}
    imported = aws(firebreak, "securityhub", "BatchImportFindings", {"Findings": [finding]})
    assert imported["SuccessCount"] == 1
    findings = boto("securityhub").get_findings()["Findings"]
    assert [f["Id"] for f in findings] == ["finding-1"]


def test_rest_json_error_names_the_code(firebreak, fresh_moto):
    result = firebreak.run("aws", "guardduty", "GetDetector", "--input", '{"DetectorId": "0000000000000000000000000000dead"}')
    assert result.returncode == 1
    assert "GetDetector" in result.stderr


# ---- rest-xml protocol ----

def test_rest_xml_s3_upload_download_and_listing(firebreak, fresh_moto, boto, tmp_path):
    aws(firebreak, "s3", "CreateBucket", {"Bucket": "evidence"})
    body = "memory image \u2603 " * 1000
    aws(firebreak, "s3", "PutObject", {"Bucket": "evidence", "Key": "case 1/meta.json", "Body": body,
                                        "ContentType": "application/json", "Metadata": {"case": "fb-1"}})
    head = boto("s3").head_object(Bucket="evidence", Key="case 1/meta.json")
    assert head["ContentLength"] == len(body.encode())
    assert head["Metadata"] == {"case": "fb-1"}

    out_file = tmp_path / "downloaded"
    got = aws(firebreak, "s3", "GetObject", {"Bucket": "evidence", "Key": "case 1/meta.json"},
              "--outfile", str(out_file))
    assert out_file.read_bytes() == body.encode()
    assert got["ContentLength"] == len(body.encode())
    assert got["Metadata"] == {"case": "fb-1"}

    for n in range(7):
        boto("s3").put_object(Bucket="evidence", Key=f"many/{n}", Body=b"x")
    listed = aws(firebreak, "s3", "ListObjectsV2", {"Bucket": "evidence", "Prefix": "many/", "MaxKeys": 3}, "--paginate")
    assert [o["Key"] for o in listed["Contents"]] == [f"many/{n}" for n in range(7)]


def test_rest_xml_s3control_public_access_block(firebreak, fresh_moto, boto):
    config = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
              "RestrictPublicBuckets": True}
    aws(firebreak, "s3control", "PutPublicAccessBlock",
        {"AccountId": "123456789012", "PublicAccessBlockConfiguration": config})
    got = aws(firebreak, "s3control", "GetPublicAccessBlock", {"AccountId": "123456789012"})
    assert got["PublicAccessBlockConfiguration"] == config

    # boto3 puts the account id in front of the host even for 127.0.0.1; take it off again.
    s3control = boto("s3control")
    s3control.meta.events.register("before-send.s3-control.*", _without_account_host_prefix)
    assert s3control.get_public_access_block(AccountId="123456789012")["PublicAccessBlockConfiguration"] == config


def _without_account_host_prefix(request, **_):
    request.url = request.url.replace("://123456789012.", "://")


def test_rest_xml_error_names_the_code(firebreak, fresh_moto, boto):
    boto("s3").create_bucket(Bucket="evidence")
    result = firebreak.run("aws", "s3", "GetObject", "--input", '{"Bucket": "evidence", "Key": "missing"}')
    assert result.returncode == 1
    assert "NoSuchKey" in result.stderr


# ---- refused before sending, and bad input ----

def test_unknown_operation_is_refused_before_sending(firebreak, aws_env):
    # The endpoint is a closed port: a request would fail with a connection error instead.
    result = firebreak.run("aws", "ec2", "DescribeInstancez", env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert result.returncode == 2
    assert "DescribeInstancez" in result.stderr
    assert "could not reach" not in result.stderr


def test_bad_input_gives_one_clear_line_and_a_nonzero_exit(firebreak, fresh_moto):
    cases = [
        (["aws", "ec2", "DescribeInstances", "--input", "{not json"], 2, "not valid JSON"),
        (["aws", "nosuchservice", "DoThing"], 2, "unknown service 'nosuchservice'"),
        (["aws", "ec2", "DescribeInstances", "--input", '{"MaxResults": "five"}'], 2, "MaxResults must be an integer"),
        (["aws", "ec2", "DescribeInstances", "--input", '{"InstanceIdz": []}'], 2, "unknown parameter InstanceIdz"),
        (["aws", "ec2", "DescribeInstances", "--query", "Reservations[."], 2, "JMESPath"),
    ]
    for args, code, text in cases:
        result = firebreak.run(*args)
        assert result.returncode == code, (args, result.stderr)
        assert text in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr and "terminate called" not in result.stderr


def test_missing_credentials_and_unreachable_endpoint_exit_3(firebreak, aws_env):
    result = firebreak.run("whoami", env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
                                          "AWS_EC2_METADATA_DISABLED": "true"})
    assert result.returncode == 3, result.stderr
    assert "credentials" in result.stderr

    result = firebreak.run("whoami", env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"})
    assert result.returncode == 3, result.stderr
    assert "127.0.0.1:9" in result.stderr
