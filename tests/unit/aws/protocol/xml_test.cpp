#include "firebreak/aws/protocol/xml.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "firebreak/base/error.h"

namespace firebreak::aws::protocol {
namespace {

using model::Location;
using model::Member;
using model::Shape;
using model::ShapeType;

// Hand-built shapes for the traits the embedded models use rarely or not at all.
class Shapes {
 public:
  Shape& scalar(ShapeType type) { return add(type); }
  Shape& list(const Shape& item, std::string item_name = {}, bool flattened = false) {
    Shape& shape = add(ShapeType::List);
    shape.member = member("member", item, std::move(item_name));
    shape.flattened = flattened;
    return shape;
  }
  Shape& map(const Shape& value, std::string key_name = {}, std::string value_name = {}, bool flattened = false) {
    Shape& shape = add(ShapeType::Map);
    shape.key = member("key", scalar(ShapeType::String), std::move(key_name));
    shape.value = member("value", value, std::move(value_name));
    shape.flattened = flattened;
    return shape;
  }
  Shape& structure(std::vector<Member> members) {
    Shape& shape = add(ShapeType::Structure);
    shape.members = std::move(members);
    return shape;
  }
  static Member member(std::string name, const Shape& shape, std::string location_name = {}) {
    Member m;
    m.name = std::move(name);
    m.shape = &shape;
    m.location_name = std::move(location_name);
    return m;
  }
  const Shape& string() { return scalar(ShapeType::String); }

 private:
  Shape& add(ShapeType type) {
    shapes_.push_back(std::make_unique<Shape>());
    shapes_.back()->type = type;
    shapes_.back()->name = "Shape" + std::to_string(shapes_.size());
    return *shapes_.back();
  }
  std::vector<std::unique_ptr<Shape>> shapes_;
};

Json parse(const Shape& shape, const std::string& xml) {
  pugi::xml_document document;
  load_xml(document, xml);
  Json out = Json::object();
  parse_xml_members(shape, document.document_element(), out);
  return out;
}

TEST(XmlParse, FlattenedListsGatherTheirElementsEvenWhenInterleaved) {
  Shapes s;
  Member named = Shapes::member("Items", s.list(s.string(), "Item", true));
  Member unnamed = Shapes::member("Others", s.list(s.string()));
  unnamed.flattened = true;  // on the member reference this time
  const Shape& root = s.structure({named, unnamed});
  EXPECT_EQ(parse(root, "<R><Item>a</Item><Others>x</Others><Item>b</Item><Others>y</Others></R>"),
            Json::parse(R"({"Items": ["a", "b"], "Others": ["x", "y"]})"));
}

TEST(XmlParse, WrappedListTakesEveryChildElement) {
  Shapes s;
  const Shape& root = s.structure({Shapes::member("Names", s.list(s.string(), "item"))});
  EXPECT_EQ(parse(root, "<R><Names><item>a</item><member>b</member></Names></R>"),
            Json::parse(R"({"Names": ["a", "b"]})"));
  EXPECT_EQ(parse(root, "<R><Names/></R>"), Json::parse(R"({"Names": []})"));
  EXPECT_EQ(parse(root, "<R/>"), Json::object());
}

TEST(XmlParse, MapsWrappedAndFlattenedWithTheirEntryNames) {
  Shapes s;
  const Shape& root = s.structure({
      Shapes::member("Default", s.map(s.string())),
      Shapes::member("Named", s.map(s.string(), "Name", "Value")),
      Shapes::member("Flat", s.map(s.scalar(ShapeType::Integer), "k", "v", true), "Tag"),
  });
  EXPECT_EQ(parse(root,
                  "<R><Default><entry><key>a</key><value>1</value></entry><entry><key>b</key><value/></entry></Default>"
                  "<Named><entry><Value>v</Value><Name>n</Name></entry></Named>"
                  "<Tag><k>x</k><v>7</v></Tag><Tag><k>y</k><v>8</v></Tag></R>"),
            Json::parse(R"({"Default": {"a": "1", "b": ""}, "Named": {"n": "v"}, "Flat": {"x": 7, "y": 8}})"));
}

TEST(XmlParse, XmlAttributesMatchWhateverPrefixTheDocumentBound) {
  Shapes s;
  Member type = Shapes::member("Type", s.string(), "xsi:type");
  type.xml_attribute = true;
  const Shape& grantee = s.structure({Shapes::member("ID", s.string()), type, Shapes::member("URI", s.string())});
  EXPECT_EQ(parse(grantee, R"(<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">)"
                           "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>")
                .dump(),
            R"({"Type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"})");
  EXPECT_EQ(parse(grantee, R"(<Grantee xmlns:x="http://www.w3.org/2001/XMLSchema-instance" x:type="CanonicalUser">)"
                           "<ID>abc</ID></Grantee>")
                .dump(),
            R"({"ID":"abc","Type":"CanonicalUser"})");
}

TEST(XmlParse, OutputFollowsModelOrderWhateverTheDocumentOrder) {
  Shapes s;
  const Shape& root = s.structure({Shapes::member("A", s.string()), Shapes::member("B", s.list(s.string(), "i", true)),
                                   Shapes::member("C", s.string())});
  EXPECT_EQ(parse(root, "<R><C>3</C><i>x</i><A>1</A><i>y</i></R>").dump(), R"({"A":"1","B":["x","y"],"C":"3"})");
}

TEST(XmlParse, RepeatedElementKeepsTheFirstAndUnknownElementsAreIgnored) {
  Shapes s;
  const Shape& root = s.structure({Shapes::member("A", s.string(), "a"), Shapes::member("B", s.string())});
  EXPECT_EQ(parse(root, "<R><a>1</a><requestId>x</requestId><a>2</a><ns:B xmlns:ns=\"urn:x\">b</ns:B></R>"),
            Json::parse(R"({"A": "1", "B": "b"})"));
}

TEST(XmlParse, HeaderAndStatusMembersAreNotReadFromTheBody) {
  Shapes s;
  Member header = Shapes::member("ETag", s.string());
  header.location = Location::Header;
  Member status = Shapes::member("Status", s.scalar(ShapeType::Integer));
  status.location = Location::StatusCode;
  const Shape& root = s.structure({header, status, Shapes::member("Key", s.string())});
  EXPECT_EQ(parse(root, "<R><ETag>x</ETag><Status>1</Status><Key>k</Key></R>"), Json::parse(R"({"Key": "k"})"));
}

TEST(XmlParse, ScalarsConvertAsBoto3ConvertsThem) {
  Shapes s;
  const Shape& root = s.structure({
      Shapes::member("True", s.scalar(ShapeType::Boolean)),
      Shapes::member("NotTrue", s.scalar(ShapeType::Boolean)),
      Shapes::member("Int", s.scalar(ShapeType::Integer)),
      Shapes::member("Long", s.scalar(ShapeType::Long)),
      Shapes::member("Double", s.scalar(ShapeType::Double)),
      Shapes::member("Iso", s.scalar(ShapeType::Timestamp)),
      Shapes::member("Epoch", s.scalar(ShapeType::Timestamp)),
      Shapes::member("Http", s.scalar(ShapeType::Timestamp)),
      Shapes::member("Blob", s.scalar(ShapeType::Blob)),
      Shapes::member("Empty", s.string()),
      Shapes::member("Space", s.string()),
      Shapes::member("Escaped", s.string()),
      Shapes::member("Cdata", s.string()),
  });
  const Json out = parse(root,
                         "<R><True>true</True><NotTrue>True</NotTrue><Int> 42\n</Int><Long>9007199254740993</Long>"
                         "<Double>1.5e3</Double><Iso>2024-01-02T03:04:05.123Z</Iso><Epoch>1704164645</Epoch>"
                         "<Http>Tue, 02 Jan 2024 03:04:05 GMT</Http><Blob>AQID\n</Blob><Empty></Empty>"
                         "<Space> </Space><Escaped>a &amp; b &lt;c&gt;</Escaped><Cdata><![CDATA[<x>]]></Cdata></R>");
  EXPECT_EQ(out["True"], true);
  EXPECT_EQ(out["NotTrue"], false);
  EXPECT_EQ(out["Int"], 42);
  EXPECT_EQ(out["Long"], 9007199254740993LL);
  EXPECT_EQ(out["Double"], 1500.0);
  EXPECT_TRUE(out["Double"].is_number_float());
  EXPECT_EQ(out["Iso"], "2024-01-02T03:04:05.123000+00:00");
  EXPECT_EQ(out["Epoch"], "2024-01-02T03:04:05+00:00");
  EXPECT_EQ(out["Http"], "2024-01-02T03:04:05+00:00");
  EXPECT_EQ(out["Blob"], Json::binary({1, 2, 3}));
  EXPECT_EQ(out["Empty"], "");
  EXPECT_EQ(out["Space"], " ");
  EXPECT_EQ(out["Escaped"], "a & b <c>");
  EXPECT_EQ(out["Cdata"], "<x>");
}

TEST(XmlParse, NumbersAndTimestampsThatDoNotParseAreErrors) {
  Shapes s;
  const Shape& ints = s.structure({Shapes::member("Int", s.scalar(ShapeType::Integer))});
  EXPECT_THROW(parse(ints, "<R><Int>4x</Int></R>"), Error);
  EXPECT_THROW(parse(ints, "<R><Int/></R>"), Error);
  const Shape& times = s.structure({Shapes::member("At", s.scalar(ShapeType::Timestamp))});
  EXPECT_THROW(parse(times, "<R><At>yesterday</At></R>"), Error);
}

TEST(XmlParse, LoadRefusesWhatIsNotXml) {
  pugi::xml_document document;
  EXPECT_THROW(load_xml(document, "<a><b></a>"), Error);
  EXPECT_THROW(load_xml(document, ""), Error);
}

TEST(XmlWrite, StructuresListsMapsAndScalarsAsElementTreeWritesThem) {
  Shapes s;
  Member type = Shapes::member("Type", s.string(), "xsi:type");
  type.xml_attribute = true;
  Member grantee = Shapes::member("Grantee", s.structure({type, Shapes::member("ID", s.string())}));
  grantee.xml_namespace_uri = "http://www.w3.org/2001/XMLSchema-instance";
  grantee.xml_namespace_prefix = "xsi";
  Member uri = Shapes::member("Bucket", s.string());
  uri.location = Location::Uri;
  Member millis = Shapes::member("Epoch", s.scalar(ShapeType::Timestamp));
  millis.timestamp_format = "unixTimestamp";
  const Shape& root = s.structure({
      uri,
      grantee,
      Shapes::member("Names", s.list(s.string())),
      Shapes::member("Items", s.list(s.string(), "Item", true), "Item"),
      Shapes::member("Attrs", s.map(s.string())),
      Shapes::member("Flat", s.map(s.scalar(ShapeType::Integer), "K", "V", true)),
      Shapes::member("Empty", s.structure({})),
      Shapes::member("Text", s.string()),
      Shapes::member("Blank", s.string()),
      Shapes::member("On", s.scalar(ShapeType::Boolean)),
      Shapes::member("At", s.scalar(ShapeType::Timestamp)),
      millis,
      Shapes::member("Data", s.scalar(ShapeType::Blob)),
      Shapes::member("Ratio", s.scalar(ShapeType::Double)),
  });
  const Json input = {
      {"Text", "a & <b>"},
      {"Bucket", "not-in-the-body"},
      {"Grantee", {{"ID", "abc"}, {"Type", "Canonical\"User"}}},
      {"Names", {"n1", "n2"}},
      {"Items", {"i1", "i2"}},
      {"Attrs", {{"k", "v"}}},
      {"Flat", {{"x", 1}}},
      {"Empty", Json::object()},
      {"Blank", ""},
      {"On", false},
      {"At", "2024-01-02T03:04:05Z"},
      {"Epoch", "2024-01-02T03:04:05Z"},
      {"Data", "\x01\x02\x03"},
      {"Ratio", 0.5},
  };
  EXPECT_EQ(write_xml_document(root, input, "Root", "urn:example"),
            "<Root xmlns=\"urn:example\"><Text>a &amp; &lt;b&gt;</Text>"
            "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Canonical&quot;User\">"
            "<ID>abc</ID></Grantee>"
            "<Names><member>n1</member><member>n2</member></Names><Item>i1</Item><Item>i2</Item>"
            "<Attrs><entry><key>k</key><value>v</value></entry></Attrs><Flat><K>x</K><V>1</V></Flat>"
            "<Empty /><Blank /><On>false</On><At>2024-01-02T03:04:05Z</At><Epoch>1704164645</Epoch>"
            "<Data>AQID</Data><Ratio>0.5</Ratio></Root>");
}

TEST(XmlWrite, PayloadMemberNamesAndNamespacesTheRoot) {
  Shapes s;
  Member payload = Shapes::member("Configuration", s.structure({Shapes::member("On", s.scalar(ShapeType::Boolean))}),
                                  "PublicAccessBlockConfiguration");
  payload.xml_namespace_uri = "http://s3.amazonaws.com/doc/2006-03-01/";
  EXPECT_EQ(write_xml_document(payload, {{"On", true}}),
            "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><On>true</On>"
            "</PublicAccessBlockConfiguration>");
  EXPECT_EQ(write_xml_document(payload, Json::object()),
            "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\" />");
}

HttpResponse response(int status, std::string body) {
  return HttpResponse{status, {{"x-amz-request-id", "header-id"}}, std::move(body)};
}

TEST(XmlError, EveryProtocolsForm) {
  ErrorDetails ec2 = parse_xml_error(response(400,
                                              "<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
                                              "<Message>no</Message></Error></Errors><RequestID>ec2-id</RequestID>"
                                              "</Response>"));
  EXPECT_EQ(ec2.code, "UnauthorizedOperation");
  EXPECT_EQ(ec2.message, "no");
  EXPECT_EQ(ec2.request_id, "ec2-id");

  ErrorDetails query = parse_xml_error(response(403,
                                                "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                                                "<Error><Type>Sender</Type><Code>AccessDenied</Code>"
                                                "<Message>denied</Message></Error><RequestId>q-id</RequestId>"
                                                "</ErrorResponse>"));
  EXPECT_EQ(query.code, "AccessDenied");
  EXPECT_EQ(query.request_id, "q-id");

  ErrorDetails s3 = parse_xml_error(response(409,
                                             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>"
                                             "<Code>BucketNotEmpty</Code><Message>not empty</Message>"
                                             "<RequestId>s3-id</RequestId></Error>"));
  EXPECT_EQ(s3.code, "BucketNotEmpty");
  EXPECT_EQ(s3.request_id, "s3-id");
}

TEST(XmlError, BodilessErrorsAreNamedByTheirStatus) {
  for (const auto& [status, message] : std::vector<std::pair<int, std::string>>{
           {301, "Moved Permanently"}, {403, "Forbidden"}, {404, "Not Found"}, {599, ""}}) {
    ErrorDetails details = parse_xml_error(response(status, ""));
    EXPECT_EQ(details.code, std::to_string(status));
    EXPECT_EQ(details.message, message);
    EXPECT_EQ(details.request_id, "header-id");
  }
}

}  // namespace
}  // namespace firebreak::aws::protocol
