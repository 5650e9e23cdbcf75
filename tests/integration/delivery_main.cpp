// The delivery engine over real loopback sockets, against webhook-mock's
// server started in the test; one suite a file (delivery_*.cpp), each a
// CTest test of its own.
#define BOOST_TEST_MODULE integration_delivery
#include <boost/test/unit_test.hpp>
